/**
 * The registry's lenient member readers (control.md §3.4). A wrong type never fails here: it reads as the
 * zero value, exactly as the reference does, so a malformed id later fails as "node 0: node not found".
 * Only own members are read, so a member named like an `Object.prototype` property reads as missing.
 *
 * @module
 */

import type { RegistryMessage } from "./messages.ts";

function member(message: RegistryMessage, name: string): unknown {
  return Object.hasOwn(message, name) ? message[name] : undefined;
}

function readRange(message: RegistryMessage, name: string, max: number): number {
  const value = member(message, name);
  if (typeof value !== "number" || Number.isNaN(value)) return 0;
  if (value < 0 || value > max) return 0;
  return Math.trunc(value);
}

/** A u32 id: a JSON number, fraction dropped; negative, > 4294967295 or not a number → 0. */
export function readU32(message: RegistryMessage, name: string): number {
  return readRange(message, name, 0xFFFF_FFFF);
}

/** A u16 (`network_id`): as {@linkcode readU32} with range 0..65535. */
export function readU16(message: RegistryMessage, name: string): number {
  return readRange(message, name, 0xFFFF);
}

/** A string member; anything else reads as `""`. */
export function readString(message: RegistryMessage, name: string): string {
  const value = member(message, name);
  return typeof value === "string" ? value : "";
}

/** A bool member: only JSON `true` is true. */
export function readBool(message: RegistryMessage, name: string): boolean {
  return member(message, name) === true;
}

/**
 * An integer member (`delta`, `polo_score`), truncated toward zero; `undefined` when absent or not a number
 * (callers that require it fail then). Clamped to the safe-integer range so sums stay exact.
 */
export function readInteger(message: RegistryMessage, name: string): number | undefined {
  const value = member(message, name);
  if (typeof value !== "number" || Number.isNaN(value)) return undefined;
  return clampInteger(value);
}

/** Truncates toward zero and clamps to ±(2^53 − 1). */
export function clampInteger(value: number): number {
  const n = Math.trunc(value);
  if (n > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
  if (n < -Number.MAX_SAFE_INTEGER) return -Number.MAX_SAFE_INTEGER;
  return n === 0 ? 0 : n; // no -0 on the wire
}

/** The string elements of an array member (others dropped, §3.7.9); a non-array reads as `[]`. */
export function readStringArray(message: RegistryMessage, name: string): string[] {
  const value = member(message, name);
  if (!Array.isArray(value)) return [];
  const out: string[] = [];
  for (const element of value) if (typeof element === "string") out.push(element);
  return out;
}

/** True when the message has the member at all (any type). */
export function hasMember(message: RegistryMessage, name: string): boolean {
  return Object.hasOwn(message, name);
}
