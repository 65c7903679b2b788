/**
 * Lenient readers for the JSON objects pilotctl prints from (IPC replies, registry replies): a missing or
 * mistyped member reads as its zero value, as the reference's map lookups do, so a reply from a newer or
 * odd daemon still renders instead of crashing the CLI.
 *
 * @module
 */

/** True for a JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` when it is an object, else an empty one. */
export function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** A number member, or `fallback`. */
export function readNumber(obj: Record<string, unknown>, key: string, fallback = 0): number {
  const value = obj[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

/** A string member, or `fallback`. */
export function readString(obj: Record<string, unknown>, key: string, fallback = ""): string {
  const value = obj[key];
  return typeof value === "string" ? value : fallback;
}

/** A boolean member, or false. */
export function readBool(obj: Record<string, unknown>, key: string): boolean {
  return obj[key] === true;
}

/** An array member, or `undefined` when absent or not an array. */
export function readList(obj: Record<string, unknown>, key: string): unknown[] | undefined {
  const value = obj[key];
  return Array.isArray(value) ? value : undefined;
}
