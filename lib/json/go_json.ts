/**
 * JSON text the way the reference's programs write it (control.md §1, services.md §0.3): map-built
 * objects with their keys sorted at every depth, no whitespace, and `<`, `>`, `&`, U+2028 and U+2029
 * written as `\uXXXX`. Readers never need this; matching it makes our registry frames, IPC replies and
 * files byte-comparable with the captures. One module for the whole project, so the rule lives once.
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
