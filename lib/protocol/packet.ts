/**
 * The packet: a fixed 34-byte header plus payload (`spec/network.md` §2), as a pure encode/decode pair.
 * Decoding validates exactly what the reference validates, in its order (§2.6), and nothing more: the
 * version nibble, protocol byte and destination are left to the dispatcher.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { encodeAddress } from "./address.ts";
import type { Address } from "./address.ts";
import { CHECKSUM_OFFSET, packetChecksum } from "./checksum.ts";
import { FLAGS, HEADER_SIZE, MAX_PAYLOAD } from "./constants.ts";

/** One packet (§2.1). Integers are unsigned: 4-bit version and flags, 8-bit protocol, 16/32-bit rest. */
export interface Packet {
  /** High nibble of byte 0; 1 when sending, not checked on receive. */
  version: number;
  /** Low nibble of byte 0: bits of {@linkcode FLAGS}. */
  flags: number;
  /** One of {@linkcode PROTOCOLS}; other values decode and are ignored by the dispatcher. */
  protocol: number;
  /** Sender's address. */
  src: Address;
  /** Destination address (not checked on receive, §2.6). */
  dst: Address;
  /** Sender's virtual port. */
  srcPort: number;
  /** Destination virtual port. */
  dstPort: number;
  /** Stream: byte sequence number; control: echo id. */
  seq: number;
  /** Next byte expected. */
  ack: number;
  /** Free receive-queue slots, in segments; 0 means "no limit" (§5.8). */
  window: number;
  /** Payload bytes, at most 65535; a view into the datagram after decoding. */
  payload: Uint8Array;
}

/** Bytes the encoded packet takes: header plus payload. */
export function packetSize(packet: Packet): number {
  return HEADER_SIZE + packet.payload.byteLength;
}

function checkField(name: string, value: number, max: number): void {
  // `>>> 0` is identity only for integers in 0..2^32-1, which also rejects NaN and fractions.
  if (value >>> 0 !== value || value > max) {
    throw new PilotError("proto_invalid_field", `${name} ${value} out of range (0..${max})`);
  }
}

/**
 * Encodes `packet` and computes its checksum. Returns exactly `packetSize(packet)` bytes: a fresh array,
 * or the start of `out` when given (then `out` must be large enough). A payload that already sits at
 * `out[34..]` is left in place, so a sender can build the payload in the frame buffer without a copy.
 *
 * @throws {PilotError} `proto_payload_too_large` past 65535 payload bytes, `proto_invalid_field` for an
 * out-of-range field, `proto_buffer_too_small` if `out` is short.
 * @example
 * ```ts
 * import { decodePacket, encodePacket } from "./packet.ts";
 * const wire = encodePacket({
 *   version: 1, flags: 0x1, protocol: 0x01, src: { network: 0, node: 1 }, dst: { network: 0, node: 2 },
 *   srcPort: 49152, dstPort: 1000, seq: 0, ack: 0, window: 512, payload: new Uint8Array(0),
 * });
 * if (wire.byteLength !== 34 || decodePacket(wire).dstPort !== 1000) throw new Error("round trip");
 * ```
 */
export function encodePacket(packet: Packet, out?: Uint8Array): Uint8Array {
  const length = packet.payload.byteLength;
  if (length > MAX_PAYLOAD) {
    throw new PilotError(
      "proto_payload_too_large",
      `payload too large: ${length} bytes (max ${MAX_PAYLOAD})`,
    );
  }
  checkField("version", packet.version, 0xF);
  checkField("flags", packet.flags, 0xF);
  checkField("protocol", packet.protocol, 0xFF);
  checkField("source port", packet.srcPort, 0xFFFF);
  checkField("destination port", packet.dstPort, 0xFFFF);
  checkField("seq", packet.seq, 0xFFFFFFFF);
  checkField("ack", packet.ack, 0xFFFFFFFF);
  checkField("window", packet.window, 0xFFFF);
  const size = HEADER_SIZE + length;
  let bytes: Uint8Array;
  if (out === undefined) {
    bytes = new Uint8Array(size);
  } else {
    if (out.byteLength < size) {
      throw new PilotError(
        "proto_buffer_too_small",
        `packet needs ${size} bytes, buffer has ${out.byteLength}`,
      );
    }
    bytes = out.byteLength === size ? out : out.subarray(0, size);
  }
  bytes[0] = (packet.version << 4) | packet.flags;
  bytes[1] = packet.protocol;
  bytes[2] = length >>> 8;
  bytes[3] = length & 0xFF;
  encodeAddress(packet.src, bytes, 4);
  encodeAddress(packet.dst, bytes, 10);
  bytes[16] = packet.srcPort >>> 8;
  bytes[17] = packet.srcPort & 0xFF;
  bytes[18] = packet.dstPort >>> 8;
  bytes[19] = packet.dstPort & 0xFF;
  writeU32(bytes, 20, packet.seq);
  writeU32(bytes, 24, packet.ack);
  bytes[28] = packet.window >>> 8;
  bytes[29] = packet.window & 0xFF;
  const payload = packet.payload;
  const inPlace = payload.buffer === bytes.buffer && payload.byteOffset === bytes.byteOffset + HEADER_SIZE;
  if (length > 0 && !inPlace) bytes.set(payload, HEADER_SIZE);
  writeU32(bytes, CHECKSUM_OFFSET, packetChecksum(bytes));
  return bytes;
}

/**
 * Decodes and validates a packet per §2.6: length, then declared payload length, then checksum. The
 * payload is a view into `bytes` (no copy), so it is only valid while `bytes` is; trailing bytes after
 * the payload are ignored.
 *
 * @throws {PilotError} `proto_too_short`, `proto_truncated` or `proto_checksum`, with the reference's texts.
 */
export function decodePacket(bytes: Uint8Array): Packet {
  const have = bytes.byteLength;
  if (have < HEADER_SIZE) {
    throw new PilotError("proto_too_short", `packet too short: ${have} bytes (min ${HEADER_SIZE})`);
  }
  const length = (bytes[2] << 8) | bytes[3];
  const need = HEADER_SIZE + length;
  if (have < need) {
    throw new PilotError("proto_truncated", `packet truncated: have ${have} bytes, need ${need}`);
  }
  if (readU32(bytes, CHECKSUM_OFFSET) !== packetChecksum(bytes)) {
    throw new PilotError("proto_checksum", "checksum mismatch");
  }
  return {
    version: bytes[0] >>> 4,
    flags: bytes[0] & 0xF,
    protocol: bytes[1],
    src: { network: (bytes[4] << 8) | bytes[5], node: readU32(bytes, 6) },
    dst: { network: (bytes[10] << 8) | bytes[11], node: readU32(bytes, 12) },
    srcPort: (bytes[16] << 8) | bytes[17],
    dstPort: (bytes[18] << 8) | bytes[19],
    seq: readU32(bytes, 20),
    ack: readU32(bytes, 24),
    window: (bytes[28] << 8) | bytes[29],
    payload: bytes.subarray(HEADER_SIZE, need),
  };
}

/** Names the set flag bits in wire order, as logs and the vectors' notes show them: `SYN|ACK`, `none`. */
export function formatFlags(flags: number): string {
  const names: string[] = [];
  if (flags & FLAGS.SYN) names.push("SYN");
  if (flags & FLAGS.ACK) names.push("ACK");
  if (flags & FLAGS.FIN) names.push("FIN");
  if (flags & FLAGS.RST) names.push("RST");
  return names.length === 0 ? "none" : names.join("|");
}

/** True when every bit of `flag` is set in `flags`. */
export function hasFlag(flags: number, flag: number): boolean {
  return (flags & flag) === flag;
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
    bytes[offset + 3]) >>> 0;
}

function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xFF;
  bytes[offset + 2] = (value >>> 8) & 0xFF;
  bytes[offset + 3] = value & 0xFF;
}
