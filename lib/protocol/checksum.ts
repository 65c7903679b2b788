/**
 * CRC-32/IEEE (`spec/network.md` §2.4) and the packet checksum built on it. Short inputs go through a
 * table in JS, long ones through `node:zlib`, whose native loop is much faster per byte but costs a fixed
 * call overhead that dominates below a few dozen bytes.
 *
 * @module
 */

import { crc32 as zlibCrc32 } from "node:zlib";
import { PilotError } from "../errors.ts";
import { HEADER_SIZE } from "./constants.ts";

/** Offset of the checksum field in the packet header (§2.1). */
export const CHECKSUM_OFFSET = 30;

// Below this many bytes the JS table loop beats the native call (measured in packet_bench.ts).
const NATIVE_MIN_BYTES = 64;

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Continues a CRC over `bytes[start, end)` with the table; `crc` is the running (finalised) value. */
function tableCrc(bytes: Uint8Array, start: number, end: number, crc: number): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
  return ~c >>> 0;
}

/**
 * CRC-32/IEEE of `data`, continuing from `previous` (the CRC of what came before) when given.
 *
 * @example
 * ```ts
 * import { crc32 } from "./checksum.ts";
 * if (crc32(new TextEncoder().encode("123456789")) !== 0xCBF43926) throw new Error("check value");
 * ```
 */
export function crc32(data: Uint8Array, previous = 0): number {
  if (data.byteLength < NATIVE_MIN_BYTES) return tableCrc(data, 0, data.byteLength, previous >>> 0);
  return zlibCrc32(data, previous >>> 0) >>> 0;
}

/**
 * The checksum of the packet in `bytes` (§2.4): the 34-byte header with bytes 30..33 taken as zero,
 * then exactly the declared payload length. Bytes after the payload are not covered. The header is not
 * copied: the four checksum bytes are fed to the CRC as zeros.
 *
 * @throws {PilotError} `proto_too_short` below 34 bytes, `proto_truncated` if the declared payload is
 * not all there.
 */
export function packetChecksum(bytes: Uint8Array): number {
  const have = bytes.byteLength;
  if (have < HEADER_SIZE) {
    throw new PilotError("proto_too_short", `packet too short: ${have} bytes (min ${HEADER_SIZE})`);
  }
  const need = HEADER_SIZE + ((bytes[2] << 8) | bytes[3]);
  if (have < need) {
    throw new PilotError("proto_truncated", `packet truncated: have ${have} bytes, need ${need}`);
  }
  return checksumUnchecked(bytes, need);
}

/** {@linkcode packetChecksum} once `end` (34 + payload length) is known to fit in `bytes`. */
function checksumUnchecked(bytes: Uint8Array, end: number): number {
  let c = ~0;
  for (let i = 0; i < CHECKSUM_OFFSET; i++) c = TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
  for (let i = 0; i < 4; i++) c = TABLE[c & 0xFF] ^ (c >>> 8);
  const crc = ~c >>> 0;
  if (end - HEADER_SIZE < NATIVE_MIN_BYTES) return tableCrc(bytes, HEADER_SIZE, end, crc);
  return zlibCrc32(bytes.subarray(HEADER_SIZE, end), crc) >>> 0;
}
