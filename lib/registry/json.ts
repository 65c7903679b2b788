/**
 * Registry frames carry the reference's map-built JSON (control.md §1); the encoding rule itself lives
 * in `lib/json/go_json.ts`. This module only names the values a registry message may hold.
 *
 * @module
 */

import { formatSortedJson } from "../json/go_json.ts";

/** A value a registry message can carry. `undefined` members are left out (the reference omits them). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/** Encodes a registry value as compact JSON with sorted keys. */
export function encodeJson(value: JsonValue): string {
  return formatSortedJson(value);
}
