/**
 * Go's text forms of flag values: `strconv.ParseBool`, `strconv.ParseInt(s, 0, 64)` limited to safe
 * JS integers, and `time.ParseDuration` / `Duration.String` (durations held in milliseconds here).
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** Go's `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`. */
export function parseGoBool(text: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new PilotError("invalid_argument", "parse error");
}

/** An integer with Go's base prefixes (`0x`, `0o`, `0b`, a leading `0` = octal), within ±2^53−1. */
export function parseGoInt(text: string): number {
  const match = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[1-9][0-9]*|0)$/.exec(text);
  if (match === null) throw new PilotError("invalid_argument", "parse error");
  const [, sign, digits] = match;
  let magnitude: bigint;
  if (/^0[oO]/.test(digits)) magnitude = BigInt(`0o${digits.slice(2)}`);
  else if (/^0[0-7]/.test(digits)) magnitude = BigInt(`0o${digits.slice(1)}`);
  else magnitude = BigInt(digits);
  const value = sign === "-" ? -magnitude : magnitude;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new PilotError("invalid_argument", "value out of range");
  }
  return Number(value);
}

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3, // µ (micro sign)
  "\u03bcs": 1e3, // μ (Greek mu)
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's largest duration, 2^63−1 ns. */
const MAX_DURATION_NS = 9223372036854775807;

/**
 * Go's `time.ParseDuration` (`300ms`, `-1.5h`, `2h45m`, `0`), returning milliseconds.
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./go_values.ts";
 * if (parseGoDuration("1h30m") !== 5_400_000) throw new Error("90 minutes");
 * ```
 */
export function parseGoDuration(text: string): number {
  const bad = (why: string) => new PilotError("invalid_argument", `time: ${why} in duration ${quote(text)}`);
  if (text.length > 256) throw bad("too long");
  let i = 0;
  let negative = false;
  if (text[0] === "-" || text[0] === "+") {
    negative = text[0] === "-";
    i = 1;
  }
  if (text.slice(i) === "0") return 0;
  if (i === text.length) throw new PilotError("invalid_argument", `time: invalid duration ${quote(text)}`);
  let totalNs = 0;
  while (i < text.length) {
    const numberStart = i;
    while (i < text.length && text[i] >= "0" && text[i] <= "9") i++;
    const whole = text.slice(numberStart, i);
    let fraction = "";
    if (text[i] === ".") {
      i++;
      const fractionStart = i;
      while (i < text.length && text[i] >= "0" && text[i] <= "9") i++;
      fraction = text.slice(fractionStart, i);
    }
    if (whole === "" && fraction === "") {
      throw new PilotError("invalid_argument", `time: invalid duration ${quote(text)}`);
    }
    const unitStart = i;
    while (i < text.length && text[i] !== "." && (text[i] < "0" || text[i] > "9")) i++;
    const unit = text.slice(unitStart, i);
    if (unit === "") throw bad("missing unit");
    const scale = UNIT_NS[unit];
    if (scale === undefined) throw bad(`unknown unit ${quote(unit)}`);
    totalNs += Number(`${whole === "" ? "0" : whole}.${fraction === "" ? "0" : fraction}`) * scale;
    if (!(totalNs <= MAX_DURATION_NS)) {
      throw new PilotError("invalid_argument", `time: invalid duration ${quote(text)}`);
    }
  }
  const ms = totalNs / 1e6;
  return negative ? -ms : ms;
}

/** Go's `Duration.String` for a value in milliseconds: `500ms`, `30s`, `2m0s`, `1h30m0s`. */
export function formatGoDuration(ms: number): string {
  const ns = Math.round(Math.abs(ms) * 1e6);
  const sign = ms < 0 && ns !== 0 ? "-" : "";
  if (ns === 0) return "0s";
  if (ns < 1e3) return `${sign}${ns}ns`;
  if (ns < 1e6) return `${sign}${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${sign}${trim(ns / 1e6)}ms`;
  const hours = Math.floor(ns / 3600e9);
  const minutes = Math.floor((ns % 3600e9) / 60e9);
  const seconds = (ns % 60e9) / 1e9;
  let out = sign;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${out}${trim(seconds)}s`;
}

function trim(value: number): string {
  return String(Number(value.toFixed(9)));
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
