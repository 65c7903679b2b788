/**
 * Joining byte chunks, which @std/bytes would otherwise give us: one allocation of the total size and
 * one copy per chunk, never a re-concatenation per chunk.
 *
 * @module
 */

/**
 * `parts[0] ‖ parts[1] ‖ ...` in one new array (a copy even for a single part).
 *
 * @example
 * ```ts
 * import { concatBytes } from "./concat_bytes.ts";
 * const joined = concatBytes([Uint8Array.of(1, 2), Uint8Array.of(), Uint8Array.of(3)]);
 * if (joined.toHex() !== "010203") throw new Error("the parts in order");
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const part of parts) size += part.byteLength;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
