/**
 * The SACK option (`spec/network.md` §5.9). It is not a header option: it is the whole payload of an
 * ACK-flagged packet, recognised by content, so a payload that does not parse is user data rather than
 * an error. Block edges are plain unsigned sequence numbers; merging and ordering are the sender's job.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** One received range `[left, right)` of sequence numbers. */
export interface SackBlock {
  /** Sequence number of the block's first byte. */
  left: number;
  /** Sequence number just after its last byte (exclusive). */
  right: number;
}

/** The 4 ASCII bytes `SACK` that open the option. */
const SACK_MAGIC = Uint8Array.of(0x53, 0x41, 0x43, 0x4B);
/** Most blocks one option carries (§5.9). */
export const SACK_MAX_BLOCKS = 4;
/** Magic plus count byte. */
const PREFIX_SIZE = 5;
const BLOCK_SIZE = 8;

/** Size of an option with `count` blocks. */
export function sackSize(count: number): number {
  return PREFIX_SIZE + BLOCK_SIZE * count;
}

/**
 * Encodes 1..4 blocks as a SACK payload.
 *
 * @throws {PilotError} `proto_invalid_field` for 0 or more than 4 blocks or an edge outside 0..2^32-1.
 * @example
 * ```ts
 * import { decodeSack, encodeSack } from "./sack.ts";
 * const payload = encodeSack([{ left: 309, right: 409 }]);
 * if (decodeSack(payload)?.[0]?.right !== 409) throw new Error("round trip");
 * ```
 */
export function encodeSack(blocks: readonly SackBlock[]): Uint8Array {
  const count = blocks.length;
  if (count < 1 || count > SACK_MAX_BLOCKS) {
    throw new PilotError(
      "proto_invalid_field",
      `sack block count ${count} out of range (1..${SACK_MAX_BLOCKS})`,
    );
  }
  const out = new Uint8Array(sackSize(count));
  const view = new DataView(out.buffer);
  out.set(SACK_MAGIC, 0);
  out[4] = count;
  for (let i = 0; i < count; i++) {
    const { left, right } = blocks[i];
    if (left >>> 0 !== left || right >>> 0 !== right) {
      throw new PilotError("proto_invalid_field", `sack block ${i} edges ${left}, ${right} out of range`);
    }
    view.setUint32(PREFIX_SIZE + BLOCK_SIZE * i, left);
    view.setUint32(PREFIX_SIZE + BLOCK_SIZE * i + 4, right);
  }
  return out;
}

/**
 * Reads a SACK option: at least 5 bytes, `SACK`, a count of 1..4 and 5 + 8·count bytes (trailing bytes
 * ignored). Anything else returns `undefined`, meaning the payload is user data (§5.9). Never throws.
 */
export function decodeSack(payload: Uint8Array): SackBlock[] | undefined {
  if (payload.byteLength < PREFIX_SIZE) return undefined;
  if (payload[0] !== 0x53 || payload[1] !== 0x41 || payload[2] !== 0x43 || payload[3] !== 0x4B) {
    return undefined;
  }
  const count = payload[4];
  if (count < 1 || count > SACK_MAX_BLOCKS || payload.byteLength < sackSize(count)) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const blocks: SackBlock[] = [];
  for (let i = 0; i < count; i++) {
    const at = PREFIX_SIZE + BLOCK_SIZE * i;
    blocks.push({ left: view.getUint32(at), right: view.getUint32(at + 4) });
  }
  return blocks;
}
