/**
 * Standard base64 with `=` padding (RFC 4648 §4), the only form used for keys and signatures on the
 * control plane (control.md §1). Decoding is strict about the alphabet and padding, so a value that a
 * careful peer would reject is never accepted here.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

// Whole-string shape: groups of four, padding only at the end. `fromBase64` alone would also accept
// missing padding and embedded whitespace.
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Encodes bytes as standard, padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/**
 * Decodes standard, padded base64, optionally requiring an exact decoded length.
 *
 * @throws {PilotError} `crypto_bad_base64` on a malformed string or a wrong decoded length; the message
 *   names `field`.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "./base64.ts";
 * const bytes = decodeBase64("aGk=", { field: "greeting", length: 2 });
 * if (bytes[0] !== 0x68) throw new Error("decodes");
 * ```
 */
export function decodeBase64(text: string, options: { field?: string; length?: number } = {}): Uint8Array {
  const field = options.field ?? "value";
  if (!STD_BASE64.test(text)) {
    throw new PilotError("crypto_bad_base64", `${field}: not standard padded base64`);
  }
  const bytes = Uint8Array.fromBase64(text, { alphabet: "base64", lastChunkHandling: "loose" });
  if (options.length !== undefined && bytes.byteLength !== options.length) {
    throw new PilotError(
      "crypto_bad_base64",
      `${field}: decodes to ${bytes.byteLength} bytes, want ${options.length}`,
    );
  }
  return bytes;
}

/** Like {@linkcode decodeBase64} but returns `undefined` instead of throwing. */
export function tryDecodeBase64(text: string, length?: number): Uint8Array | undefined {
  if (!STD_BASE64.test(text)) return undefined;
  const bytes = Uint8Array.fromBase64(text, { alphabet: "base64", lastChunkHandling: "loose" });
  return length === undefined || bytes.byteLength === length ? bytes : undefined;
}
