/**
 * JSON string literals as Go's `encoding/json` writes them from raw bytes (services.md §0.3), which the
 * inbox files must match byte for byte: HTML-safe escapes, `\u2028`/`\u2029`, `\b \f \n \r \t`, other
 * controls as lower-case `\u00XX`, and every byte that does not start a valid UTF-8 sequence replaced by
 * the six characters `\ufffd`, one per byte (Go decodes invalid input one byte at a time, where a
 * `TextDecoder` would fold a broken sequence into one U+FFFD).
 *
 * @module
 */

const HEX = "0123456789abcdef";
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** A JSON string literal, quotes included, and whether the bytes were valid UTF-8 (so nothing was lost). */
export interface GoJsonString {
  json: string;
  isLossless: boolean;
}

/**
 * Encodes `bytes` as Go encodes `string(bytes)`.
 *
 * @example
 * ```ts
 * import { formatGoJsonString } from "./_go_json.ts";
 * const out = formatGoJsonString(Uint8Array.fromHex("fffe6f6be280a8"));
 * if (out.json !== '"\\ufffd\\ufffdok\\u2028"' || out.isLossless) throw new Error("services.md §0.3");
 * ```
 */
export function formatGoJsonString(bytes: Uint8Array): GoJsonString {
  const parts: string[] = ['"'];
  let isLossless = true;
  let runStart = 0; // start of bytes that need no escaping, decoded in one call
  let i = 0;
  const flush = (end: number) => {
    if (end > runStart) parts.push(decoder.decode(bytes.subarray(runStart, end)));
  };
  while (i < bytes.byteLength) {
    const b = bytes[i] ?? 0;
    if (b < 0x80) {
      const escape = asciiEscape(b);
      if (escape !== undefined) {
        flush(i);
        parts.push(escape);
        runStart = i + 1;
      }
      i++;
      continue;
    }
    const width = utf8Width(bytes, i);
    if (width === 0) {
      flush(i);
      parts.push("\\ufffd");
      isLossless = false;
      runStart = i + 1;
      i++;
      continue;
    }
    // U+2028 and U+2029 are E2 80 A8 / E2 80 A9.
    if (
      width === 3 && b === 0xE2 && bytes[i + 1] === 0x80 && (bytes[i + 2] === 0xA8 || bytes[i + 2] === 0xA9)
    ) {
      flush(i);
      parts.push(bytes[i + 2] === 0xA8 ? "\\u2028" : "\\u2029");
      runStart = i + 3;
    }
    i += width;
  }
  flush(bytes.byteLength);
  parts.push('"');
  return { json: parts.join(""), isLossless };
}

function asciiEscape(b: number): string | undefined {
  switch (b) {
    case 0x22:
      return '\\"';
    case 0x5C:
      return "\\\\";
    case 0x08:
      return "\\b";
    case 0x0C:
      return "\\f";
    case 0x0A:
      return "\\n";
    case 0x0D:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x3C: // < > & are escaped so the JSON can sit inside HTML, as Go does by default
    case 0x3E:
    case 0x26:
      return `\\u00${HEX[b >> 4]}${HEX[b & 0xF]}`;
    default:
      return b < 0x20 ? `\\u00${HEX[b >> 4]}${HEX[b & 0xF]}` : undefined;
  }
}

// Width of the valid UTF-8 sequence at `i` (first byte ≥ 0x80), or 0 when invalid. Same acceptance as
// Go's utf8.DecodeRune: no overlong forms, no surrogates, nothing above U+10FFFF.
function utf8Width(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  const cont = (at: number, lo = 0x80, hi = 0xBF) => {
    const b = bytes[at];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const lo = b0 === 0xE0 ? 0xA0 : 0x80;
    const hi = b0 === 0xED ? 0x9F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const lo = b0 === 0xF0 ? 0x90 : 0x80;
    const hi = b0 === 0xF4 ? 0x8F : 0xBF;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}
