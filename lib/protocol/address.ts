/**
 * Overlay addresses (`spec/network.md` §1): the 6-byte binary form, the `N:NNNN.HHHH.LLLL` text form and
 * the `<address>:<port>` socket form. Parse errors reproduce the reference's texts exactly, including its
 * runtime's number-parse causes, because they reach users through the CLI.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** An overlay address: a 16-bit network ID and a 32-bit node ID (§1.1). */
export interface Address {
  /** Network ID, 0..65535; 0 is the global backbone. */
  readonly network: number;
  /** Node ID, 0..2^32-1, assigned by the registry. */
  readonly node: number;
}

/** An address plus a 16-bit virtual port (§1.4). */
export interface SocketAddress {
  /** The node. */
  readonly address: Address;
  /** Virtual port, 0..65535. */
  readonly port: number;
}

/** Size of the binary address form in bytes (§1.1). */
export const ADDRESS_SIZE = 6;
/** Node ID that means "broadcast" in any network (§1.5). */
export const BROADCAST_NODE = 0xFFFFFFFF;

const U16_MAX = 0xFFFF;

/**
 * Quotes text the way the reference's runtime does (Go `strconv.Quote`), so messages that embed user
 * input match the reference byte for byte and control characters cannot forge log lines.
 */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    switch (cp) {
      case 0x07:
        out += "\\a";
        continue;
      case 0x08:
        out += "\\b";
        continue;
      case 0x0C:
        out += "\\f";
        continue;
      case 0x0A:
        out += "\\n";
        continue;
      case 0x0D:
        out += "\\r";
        continue;
      case 0x09:
        out += "\\t";
        continue;
      case 0x0B:
        out += "\\v";
        continue;
      case 0x22:
        out += '\\"';
        continue;
      case 0x5C:
        out += "\\\\";
        continue;
    }
    if (cp < 0x20 || cp === 0x7F) out += `\\x${hex(cp, 2, false)}`;
    else if (cp < 0x80 || isPrintable(ch)) out += ch;
    // A lone surrogate cannot come from UTF-8 input; Go would show the replacement rune for it.
    else if (cp >= 0xD800 && cp <= 0xDFFF) out += "\\ufffd";
    else if (cp < 0x10000) out += `\\u${hex(cp, 4, false)}`;
    else out += `\\U${hex(cp, 8, false)}`;
  }
  return out + '"';
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function isPrintable(ch: string): boolean {
  return PRINTABLE.test(ch);
}

function hex(value: number, digits: number, upper = true): string {
  const text = value.toString(16).padStart(digits, "0");
  return upper ? text.toUpperCase() : text;
}

/**
 * Parses an unsigned integer of at most 16 bits like Go's `strconv.ParseUint(text, base, 16)`: ASCII
 * digits only (no sign, space, prefix or underscore), scanned left to right, so the first bad character
 * or the first overflow decides which of the two causes is reported.
 */
function parseUint16(text: string, base: 10 | 16): number | string {
  if (text.length === 0) return `strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let digit: number;
    if (c >= 0x30 && c <= 0x39) digit = c - 0x30;
    else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) digit = (c | 0x20) - 0x61 + 10;
    else digit = 99;
    if (digit >= base) return `strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`;
    value = value * base + digit;
    if (value > U16_MAX) return `strconv.ParseUint: parsing ${goQuote(text)}: value out of range`;
  }
  return value;
}

/** Length of `text` in UTF-8 bytes: the reference measures hex groups in bytes, not characters. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return bytes;
}

function invalid(message: string): PilotError {
  return new PilotError("invalid_argument", message);
}

/**
 * Parses the text form `N:NNNN.HHHH.LLLL` with the rules of §1.3, in their order.
 *
 * @throws {PilotError} `invalid_argument` with the reference's exact message.
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * const a = parseAddress("1:0001.f291.0004");
 * if (a.network !== 1 || a.node !== 0xF2910004) throw new Error("parsed");
 * ```
 */
export function parseAddress(text: string): Address {
  const colon = text.indexOf(":");
  if (colon === -1) throw invalid(`invalid address: ${goQuote(text)} (expected N:XXXX.YYYY.YYYY)`);
  const left = text.slice(0, colon);
  const right = text.slice(colon + 1);
  const network = parseUint16(left, 10);
  if (typeof network === "string") throw invalid(`invalid network ID: ${goQuote(left)}: ${network}`);
  const groups = right.split(".");
  if (groups.length !== 3) {
    throw invalid(`invalid address: ${goQuote(right)} (expected 3 dot-separated hex groups)`);
  }
  // All three lengths are checked before any group is parsed (§1.3 step 4).
  for (const group of groups) {
    if (utf8Length(group) !== 4) throw invalid(`invalid hex group: ${goQuote(group)} (expected 4 digits)`);
  }
  const [g1 = "", g2 = "", g3 = ""] = groups;
  const hexNetwork = parseGroup(g1);
  if (hexNetwork !== network) {
    throw invalid(`network mismatch: decimal ${network} != hex 0x${hex(hexNetwork, 4)}`);
  }
  const high = parseGroup(g2);
  const low = parseGroup(g3);
  return { network, node: (high * 0x10000 + low) >>> 0 };
}

function parseGroup(group: string): number {
  const value = parseUint16(group, 16);
  if (typeof value === "string") throw invalid(`invalid hex group: ${goQuote(group)}: ${value}`);
  return value;
}

/** Formats `N:NNNN.HHHH.LLLL`, hex uppercase and zero-padded (§1.2): node 42 → `0:0000.0000.002A`. */
export function formatAddress(address: Address): string {
  const { network, node } = address;
  return `${network}:${hex(network, 4)}.${hex(node >>> 16, 4)}.${hex(node & 0xFFFF, 4)}`;
}

/**
 * Parses `<address>:<port>` (§1.4): split at the last `:`, address errors pass through unchanged.
 *
 * @throws {PilotError} `invalid_argument` with the reference's exact message.
 * @example
 * ```ts
 * import { parseSocketAddress } from "./address.ts";
 * const sa = parseSocketAddress("0:0000.0000.0001:1000");
 * if (sa.port !== 1000 || sa.address.node !== 1) throw new Error("parsed");
 * ```
 */
export function parseSocketAddress(text: string): SocketAddress {
  const colon = text.lastIndexOf(":");
  if (colon === -1) throw invalid(`invalid socket address: ${goQuote(text)} (no port)`);
  const address = parseAddress(text.slice(0, colon));
  const right = text.slice(colon + 1);
  const port = parseUint16(right, 10);
  if (typeof port === "string") throw invalid(`invalid port: ${goQuote(right)}: ${port}`);
  return { address, port };
}

/** Formats `<address>:<port>` with the port in decimal (§1.4). */
export function formatSocketAddress(sa: SocketAddress): string {
  return `${formatAddress(sa.address)}:${sa.port}`;
}

/**
 * Writes the 6-byte form at `offset` of `out` (§1.1).
 *
 * @throws {PilotError} `proto_invalid_field` if a part is out of range, `proto_truncated` if `out` is short.
 */
export function encodeAddress(address: Address, out: Uint8Array, offset = 0): void {
  const { network, node } = address;
  if ((network & U16_MAX) !== network) {
    throw new PilotError("proto_invalid_field", `network ID ${network} out of range (0..65535)`);
  }
  if (node >>> 0 !== node) {
    throw new PilotError("proto_invalid_field", `node ID ${node} out of range (0..4294967295)`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + ADDRESS_SIZE > out.byteLength) {
    throw new PilotError(
      "proto_truncated",
      `address needs ${ADDRESS_SIZE} bytes at offset ${offset}, buffer has ${out.byteLength}`,
    );
  }
  out[offset] = network >>> 8;
  out[offset + 1] = network & 0xFF;
  out[offset + 2] = node >>> 24;
  out[offset + 3] = (node >>> 16) & 0xFF;
  out[offset + 4] = (node >>> 8) & 0xFF;
  out[offset + 5] = node & 0xFF;
}

/**
 * Reads the 6-byte form at `offset` of `bytes` (§1.1).
 *
 * @throws {PilotError} `proto_truncated` if fewer than 6 bytes remain at `offset`.
 */
export function decodeAddress(bytes: Uint8Array, offset = 0): Address {
  if (!Number.isInteger(offset) || offset < 0 || offset + ADDRESS_SIZE > bytes.byteLength) {
    throw new PilotError(
      "proto_truncated",
      `address truncated: have ${
        Math.max(0, bytes.byteLength - Math.max(0, offset))
      } bytes, need ${ADDRESS_SIZE}`,
    );
  }
  const network = (bytes[offset] << 8) | bytes[offset + 1];
  const node = ((bytes[offset + 2] << 24) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) |
    bytes[offset + 5]) >>> 0;
  return { network, node };
}

/** True when the node ID is 0xFFFFFFFF, in any network (§1.5). */
export function isBroadcast(address: Address): boolean {
  return address.node === BROADCAST_NODE;
}

/** True when both parts are equal. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.network === b.network && a.node === b.node;
}
