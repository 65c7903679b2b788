/**
 * pilotctl's own argument rules (cli.md §2.3–§2.5), which are not Go's `flag` package: `--key value`,
 * `--key=value` or a bare `--key` (= `"true"`), interleaved with positionals, unknown keys ignored,
 * single-dash tokens positional. Typed readers turn values into integers, durations, node IDs and ports
 * with the reference's error texts, which embed the runtime's number-parse causes (`strconv.Atoi: …`).
 *
 * Everything here parses user input: no value can make it throw anything but a `PilotError`
 * (`invalid_argument`), loop without bound, or allocate in proportion to more than its input.
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import { parseGoDuration } from "../lib/flags/mod.ts";
import { type Address, goQuote, parseAddress } from "../lib/protocol/mod.ts";

/** Flags and positionals of one command line. */
export interface ParsedArgs {
  /** Last value of each `--key`. */
  readonly flags: ReadonlyMap<string, string>;
  /** Everything that is not a flag or a flag's value, in order. */
  readonly positionals: readonly string[];
}

/**
 * Splits a command's arguments as §2.3 says: a `--` token is a flag; its value follows `=` or is the
 * next token unless that token starts with `--` (so `--check extra` sets `check` to `extra`).
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const p = parseArgs(["2", "--data", "--type", "json", "-x"]);
 * if (p.flags.get("data") !== "true" || p.flags.get("type") !== "json") throw new Error();
 * if (p.positionals.join(",") !== "2,-x") throw new Error();
 * ```
 */
export function parseArgs(args: readonly string[]): ParsedArgs {
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    if (!token.startsWith("--")) {
      positionals.push(token);
      continue;
    }
    const body = token.slice(2);
    const eq = body.indexOf("=");
    if (eq !== -1) {
      flags.set(body.slice(0, eq), body.slice(eq + 1));
    } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
      flags.set(body, args[i + 1]);
      i++;
    } else {
      flags.set(body, "true");
    }
  }
  return { flags, positionals };
}

function invalid(message: string): PilotError {
  return new PilotError("invalid_argument", message);
}

/**
 * Checks that the command got at least `count` positional arguments.
 *
 * @throws {PilotError} `invalid_argument` with `usage` as its text when fewer were given.
 */
export function requirePositionals(parsed: ParsedArgs, count: number, usage: string): void {
  if (parsed.positionals.length < count) throw new PilotError("invalid_argument", usage);
}

/** A string flag: its value, or `fallback` when absent. */
export function stringFlag(parsed: ParsedArgs, key: string, fallback = ""): string {
  return parsed.flags.get(key) ?? fallback;
}

/** A boolean flag (§2.4): true only when present with the value `true`, `1` or empty. */
export function boolFlag(parsed: ParsedArgs, key: string): boolean {
  const value = parsed.flags.get(key);
  return value === "true" || value === "1" || value === "";
}

/** An integer flag (Go `Atoi`, §2.4); `fallback` when absent. */
export function intFlag(parsed: ParsedArgs, key: string, fallback: number): number {
  const value = parsed.flags.get(key);
  if (value === undefined) return fallback;
  const result = goAtoi(value);
  if (typeof result === "string") throw invalid(`invalid integer for --${key}: ${result}`);
  return result;
}

/** A duration flag in milliseconds (§2.4): a Go duration, else decimal seconds; `fallbackMs` when absent. */
export function durationFlag(parsed: ParsedArgs, key: string, fallbackMs: number): number {
  const value = parsed.flags.get(key);
  if (value === undefined) return fallbackMs;
  return parseDurationValue(value, key);
}

/** Go's largest duration in milliseconds; seconds beyond it are clamped rather than wrapped. */
const MAX_DURATION_MS = 9223372036854.775;
const DECIMAL_SECONDS = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses one `--<key>` duration value; errors name the key and carry the duration parser's text. */
export function parseDurationValue(value: string, key: string): number {
  try {
    return parseGoDuration(value);
  } catch (err) {
    // The fallback takes a plain decimal number of seconds (`5`, `1.5`, `1e3`); the error, if both fail,
    // is the one of the duration parse (§2.4).
    if (value.length <= 64 && DECIMAL_SECONDS.test(value)) {
      const ms = Number(value) * 1000;
      if (Number.isFinite(ms)) return Math.max(-MAX_DURATION_MS, Math.min(MAX_DURATION_MS, ms));
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw invalid(`invalid duration for --${key}: ${detail}`);
  }
}

/**
 * Go's `strconv.Atoi` on a 64-bit machine: optional sign, decimal digits, within int64. Returns the
 * number, or the error text (`strconv.Atoi: parsing "x": invalid syntax`, `… value out of range`).
 */
export function goAtoi(text: string): number | string {
  const syntax = `strconv.Atoi: parsing ${goQuote(text)}: invalid syntax`;
  const range = `strconv.Atoi: parsing ${goQuote(text)}: value out of range`;
  let digits = text;
  let negative = false;
  if (digits.startsWith("+") || digits.startsWith("-")) {
    negative = digits[0] === "-";
    digits = digits.slice(1);
  }
  if (digits.length === 0) return syntax;
  const limit = negative ? 9223372036854775808n : 9223372036854775807n;
  let value = 0n;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return syntax;
    value = value * 10n + BigInt(c - 0x30);
    // Left to right, as the reference scans: the first bad digit or the first overflow decides.
    if (value > limit) return range;
  }
  return Number(negative ? -value : value);
}

/**
 * Go's `strconv.ParseUint(text, 10, bits)`: ASCII digits only (no sign), leading zeros allowed.
 * Returns the number or the error text (`strconv.ParseUint: parsing "x": invalid syntax`).
 */
export function parseUintText(text: string, bits: 16 | 32): number | string {
  const syntax = `strconv.ParseUint: parsing ${goQuote(text)}: invalid syntax`;
  if (text.length === 0) return syntax;
  const max = bits === 16 ? 0xFFFF : 0xFFFFFFFF;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return syntax;
    value = value * 10 + (c - 0x30);
    if (value > max) return `strconv.ParseUint: parsing ${goQuote(text)}: value out of range`;
  }
  return value;
}

/** A node ID positional (§2.5): `invalid node_id "<arg>": strconv.ParseUint: …` on failure. */
export function parseNodeId(text: string): number {
  const result = parseUintText(text, 32);
  if (typeof result === "string") throw invalid(`invalid node_id ${goQuote(text)}: ${result}`);
  return result;
}

/** A port positional (§2.5): `invalid port "<arg>": strconv.ParseUint: …` on failure. */
export function parsePort(text: string): number {
  const result = parseUintText(text, 16);
  if (typeof result === "string") throw invalid(`invalid port ${goQuote(text)}: ${result}`);
  return result;
}

/** An address positional used directly (§2.5): `parse address: <detail>` on failure. */
export function parseAddressArg(text: string): Address {
  try {
    return parseAddress(text);
  } catch (err) {
    throw invalid(`parse address: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** How a `<address|hostname>` positional was understood. */
export interface Target {
  address: Address;
  /** True when the daemon resolved a hostname (text mode then prints `resolved "<arg>" → <addr>`). */
  viaHostname: boolean;
}

/**
 * A target positional (§2.5): a full address, else a decimal 32-bit node ID in network 0, else a
 * hostname the daemon resolves. A failed resolution is `not_found` (`send-file` asks for
 * `invalid_argument`, §20 item 11).
 */
export async function parseTarget(
  text: string,
  resolveHostname: (hostname: string) => Promise<Address>,
  options: { failureCode?: "not_found" | "invalid_argument" } = {},
): Promise<Target> {
  try {
    return { address: parseAddress(text), viaHostname: false };
  } catch {
    // Not an address: try the next form.
  }
  const nodeId = parseUintText(text, 32);
  if (typeof nodeId === "number") return { address: { network: 0, node: nodeId }, viaHostname: false };
  try {
    return { address: await resolveHostname(text), viaHostname: true };
  } catch (cause) {
    throw new PilotError(
      options.failureCode ?? "not_found",
      `cannot resolve ${
        goQuote(text)
      } — is the hostname correct and is there mutual trust? (see: pilotctl handshake)`,
      { cause },
    );
  }
}
