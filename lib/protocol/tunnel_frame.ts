/**
 * Layouts of the UDP datagrams on the tunnel socket (`spec/network.md` §3.1–§3.4): classification of a
 * received datagram, and a pure encode/decode pair per frame (PILT, PILS, PILK, PILA, PILP). No crypto
 * happens here: PILS carries sealed bytes and PILA a signature that lib/crypto makes and checks. Beacon
 * messages (first byte < 0x10) are only recognised here; their codec lives in lib/beacon.
 *
 * Decoders return views into the datagram (no copies), valid only while the datagram buffer is.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { AEAD_NONCE_BYTES, AEAD_TAG_BYTES, HEADER_SIZE } from "./constants.ts";
import { encodePacket, packetSize } from "./packet.ts";
import type { Packet } from "./packet.ts";

/** The four-byte magics, as big-endian u32 (§3.1). */
export const FRAME_MAGIC = {
  PILT: 0x50494C54,
  PILS: 0x50494C53,
  PILK: 0x50494C4B,
  PILA: 0x50494C41,
  PILP: 0x50494C50,
} as const;

/** Name of a tunnel frame type. */
export type FrameType = keyof typeof FRAME_MAGIC;
/** What a received datagram is (§3.1); `ignore` covers empty, too short and unknown magic. */
export type DatagramKind = FrameType | "beacon" | "ignore";

/** Size of the magic. */
export const MAGIC_SIZE = 4;
/** Smallest PILT datagram: magic + a bare header (§3.1). */
export const PILT_MIN_SIZE: number = MAGIC_SIZE + HEADER_SIZE;
/** Bytes of a PILS datagram before the sealed part: magic, sender node, nonce (§3.4). */
export const PILS_HEADER_SIZE: number = MAGIC_SIZE + 4 + AEAD_NONCE_BYTES;
/** Smallest PILS datagram: header plus an empty ciphertext's tag (§3.1). */
export const PILS_MIN_SIZE: number = PILS_HEADER_SIZE + AEAD_TAG_BYTES;
/** X25519 public key size. */
export const X25519_PUBLIC_SIZE = 32;
/** Ed25519 public key size. */
export const ED25519_PUBLIC_SIZE = 32;
/** Ed25519 signature size. */
export const ED25519_SIGNATURE_SIZE = 64;
/** PILK size; longer datagrams are accepted and the rest ignored (§3.1). */
export const PILK_SIZE: number = MAGIC_SIZE + 4 + X25519_PUBLIC_SIZE;
/** PILA size; longer datagrams are accepted and the rest ignored (§3.1). */
export const PILA_SIZE: number = MAGIC_SIZE + 4 + X25519_PUBLIC_SIZE + ED25519_PUBLIC_SIZE +
  ED25519_SIGNATURE_SIZE;
/** PILP size: the magic alone. */
export const PILP_SIZE: number = MAGIC_SIZE;
/** Beacon message type bytes are below this (§3.1 step 2). */
const BEACON_TYPE_LIMIT = 0x10;

const MAGIC_BY_VALUE = new Map<number, FrameType>(
  Object.entries(FRAME_MAGIC).map(([name, value]) => [value, frameType(name)]),
);

function frameType(name: string): FrameType {
  if (name === "PILT" || name === "PILS" || name === "PILK" || name === "PILA" || name === "PILP") {
    return name;
  }
  throw new Error(`unknown frame type ${name}`);
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

/**
 * Classifies a received datagram by the rules of §3.1, in order: empty → ignore; first byte < 0x10 →
 * beacon; under 4 bytes → ignore; known magic → its type; else ignore. Sizes are not checked here;
 * the frame's decoder does that. Never throws.
 *
 * @example
 * ```ts
 * import { classifyDatagram } from "./tunnel_frame.ts";
 * if (classifyDatagram(Uint8Array.of(0x50, 0x49, 0x4C, 0x50)) !== "PILP") throw new Error("punch");
 * if (classifyDatagram(Uint8Array.of(0x01, 0, 0, 0, 5)) !== "beacon") throw new Error("discover");
 * ```
 */
export function classifyDatagram(bytes: Uint8Array): DatagramKind {
  if (bytes.byteLength === 0) return "ignore";
  if (bytes[0] < BEACON_TYPE_LIMIT) return "beacon";
  if (bytes.byteLength < MAGIC_SIZE) return "ignore";
  return MAGIC_BY_VALUE.get(readU32(bytes, 0)) ?? "ignore";
}

function expectFrame(bytes: Uint8Array, type: FrameType, minSize: number): void {
  if (bytes.byteLength < MAGIC_SIZE || readU32(bytes, 0) !== FRAME_MAGIC[type]) {
    const seen = Array.from(bytes.subarray(0, MAGIC_SIZE), (b) => b.toString(16).padStart(2, "0")).join("");
    throw new PilotError(
      "proto_bad_magic",
      `not a ${type} frame: starts with ${seen.toUpperCase() || "nothing"}`,
    );
  }
  if (bytes.byteLength < minSize) {
    throw new PilotError(
      "proto_truncated",
      `${type} frame too short: ${bytes.byteLength} bytes (min ${minSize})`,
    );
  }
}

function output(out: Uint8Array | undefined, size: number, type: FrameType): Uint8Array {
  if (out === undefined) return new Uint8Array(size);
  if (out.byteLength < size) {
    throw new PilotError(
      "proto_buffer_too_small",
      `${type} frame needs ${size} bytes, buffer has ${out.byteLength}`,
    );
  }
  return out.byteLength === size ? out : out.subarray(0, size);
}

function checkNode(node: number): void {
  if (node >>> 0 !== node) throw new PilotError("proto_invalid_field", `sender node ID ${node} out of range`);
}

function checkSize(name: string, bytes: Uint8Array, size: number): void {
  if (bytes.byteLength !== size) {
    throw new PilotError("proto_invalid_field", `${name} must be ${size} bytes, got ${bytes.byteLength}`);
  }
}

// --- PILT (§3.2) ---

/** Wraps already-encoded packet bytes as PILT: magic + packet. */
export function encodePilt(packet: Uint8Array, out?: Uint8Array): Uint8Array {
  const frame = output(out, MAGIC_SIZE + packet.byteLength, "PILT");
  writeU32(frame, 0, FRAME_MAGIC.PILT);
  frame.set(packet, MAGIC_SIZE);
  return frame;
}

/** Encodes `packet` straight into a PILT frame, without an intermediate copy. */
export function encodePiltPacket(packet: Packet, out?: Uint8Array): Uint8Array {
  const frame = output(out, MAGIC_SIZE + packetSize(packet), "PILT");
  writeU32(frame, 0, FRAME_MAGIC.PILT);
  encodePacket(packet, frame.subarray(MAGIC_SIZE));
  return frame;
}

/**
 * The packet bytes of a PILT frame (a view); validate them with `decodePacket`.
 *
 * @throws {PilotError} `proto_bad_magic`, or `proto_truncated` under 38 bytes.
 */
export function decodePilt(frame: Uint8Array): Uint8Array {
  expectFrame(frame, "PILT", PILT_MIN_SIZE);
  return frame.subarray(MAGIC_SIZE);
}

// --- PILS (§3.4) ---

/** An encrypted frame: the sealed part is ciphertext followed by the 16-byte tag. */
export interface PilsFrame {
  /** Sender's node ID; the receiver picks the key by it (not authenticated). */
  senderNode: number;
  /** 12 bytes: 4-byte prefix ‖ 8-byte big-endian counter. */
  nonce: Uint8Array;
  /** AES-256-GCM ciphertext of the packet followed by the 16-byte tag. */
  sealed: Uint8Array;
}

/**
 * Writes magic, sender node and nonce into `out[0..20)`, so a sealer can put its output at `out[20..]`.
 *
 * @throws {PilotError} `proto_invalid_field` for a bad node or nonce size, `proto_buffer_too_small`.
 */
export function encodePilsHeader(senderNode: number, nonce: Uint8Array, out: Uint8Array): void {
  checkNode(senderNode);
  checkSize("nonce", nonce, AEAD_NONCE_BYTES);
  if (out.byteLength < PILS_HEADER_SIZE) {
    throw new PilotError("proto_buffer_too_small", `PILS header needs ${PILS_HEADER_SIZE} bytes`);
  }
  writeU32(out, 0, FRAME_MAGIC.PILS);
  writeU32(out, 4, senderNode);
  out.set(nonce, 8);
}

/**
 * Encodes a PILS frame (copies `sealed`).
 *
 * @throws {PilotError} `proto_invalid_field` for a bad node, nonce size or a sealed part under 16 bytes.
 */
export function encodePils(frame: PilsFrame, out?: Uint8Array): Uint8Array {
  if (frame.sealed.byteLength < AEAD_TAG_BYTES) {
    throw new PilotError("proto_invalid_field", `sealed part must hold the ${AEAD_TAG_BYTES}-byte tag`);
  }
  const bytes = output(out, PILS_HEADER_SIZE + frame.sealed.byteLength, "PILS");
  encodePilsHeader(frame.senderNode, frame.nonce, bytes);
  bytes.set(frame.sealed, PILS_HEADER_SIZE);
  return bytes;
}

/**
 * Splits a PILS frame; everything after the nonce is the sealed part, trailing junk included (§3.1).
 *
 * @throws {PilotError} `proto_bad_magic`, or `proto_truncated` under 36 bytes.
 */
export function decodePils(bytes: Uint8Array): PilsFrame {
  expectFrame(bytes, "PILS", PILS_MIN_SIZE);
  return {
    senderNode: readU32(bytes, 4),
    nonce: bytes.subarray(8, PILS_HEADER_SIZE),
    sealed: bytes.subarray(PILS_HEADER_SIZE),
  };
}

/** Builds a nonce: 4-byte prefix ‖ 8-byte big-endian counter (§3.4). */
export function encodeNonce(prefix: number, counter: bigint, out?: Uint8Array): Uint8Array {
  if (prefix >>> 0 !== prefix) {
    throw new PilotError("proto_invalid_field", `nonce prefix ${prefix} out of range`);
  }
  if (counter < 0n || counter > 0xFFFF_FFFF_FFFF_FFFFn) {
    throw new PilotError("proto_invalid_field", `nonce counter ${counter} out of range`);
  }
  const nonce = out ?? new Uint8Array(AEAD_NONCE_BYTES);
  checkSize("nonce", nonce, AEAD_NONCE_BYTES);
  writeU32(nonce, 0, prefix);
  new DataView(nonce.buffer, nonce.byteOffset, AEAD_NONCE_BYTES).setBigUint64(4, counter);
  return nonce;
}

/** The random 4-byte prefix of a 12-byte nonce, as u32. */
export function readNoncePrefix(nonce: Uint8Array): number {
  checkSize("nonce", nonce, AEAD_NONCE_BYTES);
  return readU32(nonce, 0);
}

/** The counter of a 12-byte nonce (its last 8 bytes, big-endian) as an exact `bigint`. */
export function readNonceCounter(nonce: Uint8Array): bigint {
  checkSize("nonce", nonce, AEAD_NONCE_BYTES);
  return new DataView(nonce.buffer, nonce.byteOffset, AEAD_NONCE_BYTES).getBigUint64(4);
}

/**
 * The counter as a `number` when it is at most `Number.MAX_SAFE_INTEGER` (2^53 − 1), else `undefined`:
 * a fast path for replay checks, which must treat `undefined` by the exact `bigint` of
 * {@linkcode readNonceCounter} (a hostile peer may send any 64-bit value).
 */
export function readNonceCounterSafe(nonce: Uint8Array): number | undefined {
  checkSize("nonce", nonce, AEAD_NONCE_BYTES);
  const high = readU32(nonce, 4);
  if (high > 0x1F_FFFF) return undefined;
  return high * 0x1_0000_0000 + readU32(nonce, 8);
}

// --- PILK and PILA (§3.3) ---

/** Unauthenticated key exchange. */
export interface PilkFrame {
  /** Sender's node ID. */
  senderNode: number;
  /** Sender's 32-byte X25519 public key. */
  x25519Public: Uint8Array;
}

/** Authenticated key exchange; the signature covers the challenge lib/crypto builds (§3.3). */
export interface PilaFrame {
  /** Sender's node ID. */
  senderNode: number;
  /** Sender's 32-byte X25519 public key. */
  x25519Public: Uint8Array;
  /** Sender's 32-byte Ed25519 identity key. */
  ed25519Public: Uint8Array;
  /** 64-byte Ed25519 signature over `auth` ‖ node ID ‖ X25519 key. */
  signature: Uint8Array;
}

/** Encodes a 40-byte PILK. @throws {PilotError} `proto_invalid_field` for a bad node or key size. */
export function encodePilk(frame: PilkFrame, out?: Uint8Array): Uint8Array {
  checkNode(frame.senderNode);
  checkSize("X25519 public key", frame.x25519Public, X25519_PUBLIC_SIZE);
  const bytes = output(out, PILK_SIZE, "PILK");
  writeU32(bytes, 0, FRAME_MAGIC.PILK);
  writeU32(bytes, 4, frame.senderNode);
  bytes.set(frame.x25519Public, 8);
  return bytes;
}

/** Decodes a PILK; bytes past 40 are ignored. @throws {PilotError} `proto_bad_magic`, `proto_truncated`. */
export function decodePilk(bytes: Uint8Array): PilkFrame {
  expectFrame(bytes, "PILK", PILK_SIZE);
  return { senderNode: readU32(bytes, 4), x25519Public: bytes.subarray(8, 40) };
}

/** Encodes a 136-byte PILA. @throws {PilotError} `proto_invalid_field` for a bad node or part size. */
export function encodePila(frame: PilaFrame, out?: Uint8Array): Uint8Array {
  checkNode(frame.senderNode);
  checkSize("X25519 public key", frame.x25519Public, X25519_PUBLIC_SIZE);
  checkSize("Ed25519 public key", frame.ed25519Public, ED25519_PUBLIC_SIZE);
  checkSize("Ed25519 signature", frame.signature, ED25519_SIGNATURE_SIZE);
  const bytes = output(out, PILA_SIZE, "PILA");
  writeU32(bytes, 0, FRAME_MAGIC.PILA);
  writeU32(bytes, 4, frame.senderNode);
  bytes.set(frame.x25519Public, 8);
  bytes.set(frame.ed25519Public, 40);
  bytes.set(frame.signature, 72);
  return bytes;
}

/** Decodes a PILA; bytes past 136 are ignored. @throws {PilotError} `proto_bad_magic`, `proto_truncated`. */
export function decodePila(bytes: Uint8Array): PilaFrame {
  expectFrame(bytes, "PILA", PILA_SIZE);
  return {
    senderNode: readU32(bytes, 4),
    x25519Public: bytes.subarray(8, 40),
    ed25519Public: bytes.subarray(40, 72),
    signature: bytes.subarray(72, PILA_SIZE),
  };
}

// --- PILP (§3.11) ---

/** Encodes the 4-byte NAT punch. */
export function encodePilp(out?: Uint8Array): Uint8Array {
  const bytes = output(out, PILP_SIZE, "PILP");
  writeU32(bytes, 0, FRAME_MAGIC.PILP);
  return bytes;
}

/** Checks a NAT punch (extra bytes are ignored). @throws {PilotError} `proto_bad_magic`. */
export function decodePilp(bytes: Uint8Array): void {
  expectFrame(bytes, "PILP", PILP_SIZE);
}
