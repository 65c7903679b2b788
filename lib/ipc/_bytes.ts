/**
 * Byte helpers private to lib/ipc: UTF-8 text both ways and bounds-checked big-endian reads, so the
 * codecs never meet a bare RangeError.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

const ENCODER = new TextEncoder();
// Not fatal: the reference treats these payloads as opaque bytes, so bad UTF-8 must not fail a frame.
const DECODER = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const STRICT_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return ENCODER.encode(text);
}

/** Text of UTF-8 `bytes`, invalid sequences replaced by U+FFFD. */
export function text(bytes: Uint8Array): string {
  return DECODER.decode(bytes);
}

/** Parses JSON from UTF-8 bytes; `label` prefixes the message of the `ipc_bad_json` error. */
export function parseJsonBytes(bytes: Uint8Array, label: string): unknown {
  try {
    return JSON.parse(STRICT_DECODER.decode(bytes));
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new PilotError("ipc_bad_json", `${label}: invalid JSON: ${detail}`, { cause: err });
  }
}

/** A DataView over exactly `bytes`. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Throws `ipc_truncated` with `message` unless `bytes` holds at least `size` bytes. */
export function need(bytes: Uint8Array, size: number, message: string): void {
  if (bytes.byteLength < size) throw new PilotError("ipc_truncated", message);
}

/** Two upper-case hex digits of a byte, as in `unknown command: 0x7F`. */
export function hexByte(value: number): string {
  return value.toString(16).toUpperCase().padStart(2, "0");
}

/** `value` if it is an integer in 0..65535; else `ipc_invalid_field` naming `field`. */
export function u16(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new PilotError("ipc_invalid_field", `${field} ${value} out of range (0..65535)`);
  }
  return value;
}

/** `value` if it is an integer in 0..4294967295; else `ipc_invalid_field` naming `field`. */
export function u32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new PilotError("ipc_invalid_field", `${field} ${value} out of range (0..4294967295)`);
  }
  return value;
}
