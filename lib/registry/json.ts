/**
 * JSON text the way the reference writes registry messages (control.md §1): object keys sorted, no
 * whitespace, and `<`, `>`, `&` (plus U+2028/U+2029, as the reference's encoder does) written as `\uXXXX`.
 * Readers do not need this; it makes our frames byte-comparable with the captures.
 *
 * @module
 */

/** A value {@linkcode encodeJson} can write. `undefined` members are left out (the reference omits them). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

const ESCAPES: Record<string, string> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};

function encodeString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => ESCAPES[c]);
}

/**
 * Encodes `value` as compact JSON with sorted keys.
 *
 * @example
 * ```ts
 * import { encodeJson } from "./json.ts";
 * const text = encodeJson({ type: "x", a: "<b>", n: 1 });
 * if (text !== '{"a":"\\u003cb\\u003e","n":1,"type":"x"}') throw new Error(text);
 * ```
 */
export function encodeJson(value: JsonValue): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      // Like the reference, refuse what JSON cannot carry instead of writing `null`.
      if (!Number.isFinite(value)) throw new Error(`json: unsupported number ${value}`);
      return JSON.stringify(value);
    case "string":
      return encodeString(value);
  }
  if (isArray(value)) return `[${value.map(encodeJson).join(",")}]`;
  const parts: string[] = [];
  for (const key of Object.keys(value).sort()) {
    const member = value[key];
    if (member === undefined) continue;
    parts.push(`${encodeString(key)}:${encodeJson(member)}`);
  }
  return `{${parts.join(",")}}`;
}

function isArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
