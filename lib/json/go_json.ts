/**
 * JSON text the way the reference's programs write it (control.md §1, services.md §0.3): map-built
 * objects with their keys sorted at every depth, no whitespace, and `<`, `>`, `&`, U+2028 and U+2029
 * written as `\uXXXX`. Readers never need this; matching it makes our registry frames, IPC replies and
 * files byte-comparable with the captures. One module for the whole project, so the rule lives once.
 *
 * {@linkcode formatGoJsonString} writes raw bytes as Go writes `string(bytes)`: every byte that does not
 * start a valid UTF-8 sequence becomes the six characters `\ufffd`, one per byte (Go decodes invalid
 * input a byte at a time, where a `TextDecoder` would fold a broken sequence into one U+FFFD).
 *
 * @module
 */

const ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

const ESCAPED = /[<>&\u2028\u2029]/g;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true }); // a BOM in the data is data

/** Depth bound: a cyclic or absurdly nested value is a caller bug, not something to recurse into. */
const MAX_DEPTH = 64;

/**
 * Applies the reference's HTML-safe escaping to JSON text (keeping its member order), e.g. for
 * struct-built messages whose order is fixed by the caller.
 *
 * @example
 * ```ts
 * import { escapeGoJson } from "./go_json.ts";
 * if (escapeGoJson(JSON.stringify({ a: "<&>" })) !== '{"a":"\\u003c\\u0026\\u003e"}') throw new Error();
 * ```
 */
export function escapeGoJson(jsonText: string): string {
  return jsonText.replace(ESCAPED, (ch) => ESCAPES[ch] ?? ch);
}

/** A JSON string literal, quotes included, and whether the bytes were valid UTF-8 (so nothing was lost). */
export interface GoJsonString {
  json: string;
  isLossless: boolean;
}

/**
 * Encodes `bytes` as Go's `encoding/json` encodes `string(bytes)` (services.md §0.3): the escapes of
 * {@linkcode escapeGoJson}, and `\ufffd` for each byte outside a valid UTF-8 sequence.
 *
 * @example
 * ```ts
 * import { formatGoJsonString } from "./go_json.ts";
 * const out = formatGoJsonString(Uint8Array.fromHex("fffe6f6be280a8"));
 * if (out.json !== '"\\ufffd\\ufffdok\\u2028"' || out.isLossless) throw new Error("services.md §0.3");
 * ```
 */
export function formatGoJsonString(bytes: Uint8Array): GoJsonString {
  const parts: string[] = ['"'];
  let isLossless = true;
  let runStart = 0; // start of the current run of valid UTF-8, escaped in one call
  const flush = (end: number) => {
    if (end > runStart) {
      parts.push(escapeGoJson(JSON.stringify(decoder.decode(bytes.subarray(runStart, end)))).slice(1, -1));
    }
  };
  for (let i = 0; i < bytes.byteLength;) {
    const width = utf8Width(bytes, i);
    if (width > 0) {
      i += width;
      continue;
    }
    flush(i);
    parts.push("\\ufffd");
    isLossless = false;
    runStart = ++i;
  }
  flush(bytes.byteLength);
  parts.push('"');
  return { json: parts.join(""), isLossless };
}

/**
 * Formats `value` as the reference's map-built JSON: compact, keys sorted at every depth, escaped.
 * Members whose value is `undefined` are left out, as the reference omits them.
 *
 * @example
 * ```ts
 * import { formatSortedJson } from "./go_json.ts";
 * if (formatSortedJson({ b: 1, a: "<x>", c: undefined }) !== '{"a":"\\u003cx\\u003e","b":1}') throw new Error();
 * ```
 */
export function formatSortedJson(value: unknown): string {
  return encode(value, 0) ?? "null";
}

/**
 * Writes the text directly rather than through a sorted copy: a JS object puts integer-like keys
 * ("9", "10") first in numeric order whatever order they were added in, while Go sorts them as strings.
 * Returns undefined for what JSON leaves out (`undefined`, functions, symbols).
 */
function encode(value: unknown, depth: number): string | undefined {
  if (depth > MAX_DEPTH) throw new Error("formatSortedJson: value nested deeper than 64 levels");
  switch (typeof value) {
    case "string":
      return escapeGoJson(JSON.stringify(value));
    case "number":
      // JSON.stringify would write null; the reference refuses such numbers, and so do we.
      if (!Number.isFinite(value)) throw new Error(`json: unsupported number ${value}`);
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (typeof value !== "object" || value === null) return "null";
  if (Array.isArray(value)) return `[${value.map((item) => encode(item, depth + 1) ?? "null").join(",")}]`;
  const toJson = Reflect.get(value, "toJSON");
  if (typeof toJson === "function") return encode(toJson.call(value), depth + 1);
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = encode(Reflect.get(value, key), depth + 1);
    if (member !== undefined) parts.push(`${escapeGoJson(JSON.stringify(key))}:${member}`);
  }
  return `{${parts.join(",")}}`;
}

// Width of the valid UTF-8 sequence at `i`, or 0 when invalid. Same acceptance as Go's
// utf8.DecodeRune: no overlong forms, no surrogates (so JSON.stringify never meets a lone one), nothing
// above U+10FFFF.
function utf8Width(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  if (b0 < 0x80) return 1;
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
