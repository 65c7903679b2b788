/**
 * Bytes to text the way the reference's JSON output treats them (services.md §0.3): valid UTF-8 is kept,
 * and each byte that does not start a valid sequence becomes one U+FFFD. This differs from
 * `TextDecoder`, which replaces a truncated sequence (`e2 80`) with a single U+FFFD where Go writes two.
 *
 * @module
 */

const STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const REPLACEMENT = "\uFFFD";

/** `bytes` as text, each invalid byte replaced by U+FFFD, as Go's `string` → JSON does. */
export function decodeUtf8PerByte(bytes: Uint8Array): string {
  try {
    return STRICT.decode(bytes); // the common case: valid UTF-8, decoded natively
  } catch {
    // Invalid somewhere: fall through to the byte-wise walk below, which cannot fail.
  }
  let out = "";
  let i = 0;
  while (i < bytes.byteLength) {
    const size = validSequenceSize(bytes, i);
    if (size === 0) {
      out += REPLACEMENT;
      i += 1;
    } else {
      out += STRICT.decode(bytes.subarray(i, i + size));
      i += size;
    }
  }
  return out;
}

// Length of the valid UTF-8 sequence at `at` (1–4), or 0 when the byte there starts none. The second
// byte's ranges exclude overlong forms, surrogates (ED A0–BF) and code points past U+10FFFF, as Go's
// utf8.DecodeRune does.
function validSequenceSize(bytes: Uint8Array, at: number): number {
  const b0 = bytes[at];
  if (b0 < 0x80) return 1;
  let size: number;
  let low = 0x80;
  let high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) size = 2;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    size = 3;
    if (b0 === 0xE0) low = 0xA0;
    if (b0 === 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    size = 4;
    if (b0 === 0xF0) low = 0x90;
    if (b0 === 0xF4) high = 0x8F;
  } else return 0;
  if (at + size > bytes.byteLength) return 0;
  const b1 = bytes[at + 1];
  if (b1 < low || b1 > high) return 0;
  for (let k = 2; k < size; k++) {
    const b = bytes[at + k];
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return size;
}
