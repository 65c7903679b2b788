/**
 * JSON text as the reference daemon writes its IPC replies (control.md §1): object keys sorted, no
 * whitespace, and `<`, `>`, `&`, U+2028, U+2029 escaped. Readers do not care, but matching it lets tests
 * compare our replies with captured ones byte for byte.
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

/**
 * Formats `value` as the reference's map-built JSON: keys sorted at every depth.
 *
 * @example
 * ```ts
 * import { formatSortedJson } from "./json.ts";
 * if (formatSortedJson({ b: 1, a: "<x>" }) !== '{"a":"\\u003cx\\u003e","b":1}') throw new Error();
 * ```
 */
export function formatSortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value, 0)).replace(/[<>&\u2028\u2029]/g, (ch) => ESCAPES[ch] ?? ch);
}

// Depth-bounded: a cyclic or absurdly nested value is a bug of the caller, not something to recurse into.
const MAX_DEPTH = 64;

function sortKeys(value: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new Error("formatSortedJson: value nested deeper than 64 levels");
  if (Array.isArray(value)) return value.map((item) => sortKeys(item, depth + 1));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, item] of entries) out[key] = sortKeys(item, depth + 1);
  return out;
}
