/**
 * The `-config` JSON file shared by every binary (control.md §10.2): each member named like a flag (or
 * with `_` for `-`) sets that flag unless the command line gave it. Strings apply as-is, booleans as
 * `true`/`false`, numbers in Go's shortest `%g` form (so 1000000 becomes `1e+06`, which an int flag then
 * refuses: a reference quirk kept so configs mean the same to both). Values a flag cannot parse, arrays,
 * objects, `null` and unknown members are ignored.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { type FlagSpec, flagValueFromText, type FlagValues, type ParsedFlags } from "./go_flags.ts";

/** A config file larger than this is refused before parsing. */
export const MAX_CONFIG_BYTES = 1 << 20;

/**
 * Reads a config file as a JSON object. Throws `PilotError("config_load")` with the text
 * `load config: …` when it is missing, too large, not JSON or not an object.
 */
export async function loadConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new PilotError(
        "config_load",
        `load config: ${path} is ${info.size} bytes (limit ${MAX_CONFIG_BYTES})`,
      );
    }
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof PilotError) throw err;
    throw new PilotError("config_load", `load config: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return parseConfigText(text);
}

/** Parses config file text; throws `PilotError("config_load")` unless it is one JSON object. */
export function parseConfigText(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PilotError("config_load", `load config: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new PilotError("config_load", "load config: top level is not a JSON object");
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) out[key] = value;
  return out;
}

/**
 * Returns `parsed.values` with the config members applied to flags the command line left alone.
 *
 * @example
 * ```ts
 * import { applyConfig } from "./config_file.ts";
 * import { parseGoFlags, stringFlag } from "./go_flags.ts";
 * const spec = { "log-level": stringFlag("info", "level"), addr: stringFlag(":9001", "addr") };
 * const parsed = parseGoFlags(spec, ["-addr", ":1"]);
 * if (parsed.kind !== "flags") throw new Error("flags");
 * const values = applyConfig(spec, parsed, { log_level: "debug", addr: ":2" });
 * if (values["log-level"] !== "debug" || values.addr !== ":1") throw new Error("command line wins");
 * ```
 */
export function applyConfig<S extends FlagSpec>(
  spec: S,
  parsed: ParsedFlags<S>,
  config: Readonly<Record<string, unknown>>,
): FlagValues<S> {
  const values: FlagValues<S> = { ...parsed.values };
  for (const [key, raw] of Object.entries(config)) {
    const name = Object.hasOwn(spec, key) ? key : key.replaceAll("_", "-");
    if (!Object.hasOwn(spec, name) || parsed.explicit.has(name)) continue;
    const text = configText(raw);
    if (text === undefined) continue;
    try {
      Reflect.set(values, name, flagValueFromText(spec[name], name, text));
    } catch {
      // The reference ignores a value its flag cannot parse (control.md §10.2).
    }
  }
  return values;
}

function configText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatGoFloat(value);
  return undefined;
}

/** Go's `%v` of a float64: shortest digits, exponent form below 1e-4 or from 1e+06 up (`1e+06`, `2.5e-05`). */
export function formatGoFloat(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : value < 0 ? "-Inf" : "NaN";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return String(value);
}
