/**
 * Command-line flags the way the reference's Go binaries read them (control.md §10.1): `-name value`,
 * `-name=value`, the same with `--`, bool flags set by `-x` and cleared by `-x=false`, Go duration syntax.
 * Parsing stops at the first argument that is not a flag, or after `--`; the rest is returned.
 * An unknown flag is an error (the caller prints usage and exits 2); `-h`/`-help` asks for usage.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { formatGoDuration, parseGoBool, parseGoDuration, parseGoInt } from "./go_values.ts";

/** Value kinds a flag may have. Durations are held in milliseconds. */
export type FlagKind = "string" | "bool" | "int" | "duration";

/** The JS type of a flag's value. */
export type FlagValue<K extends FlagKind> = K extends "string" ? string : K extends "bool" ? boolean : number;

/** One flag: its kind, default and usage line. */
export interface FlagDef<K extends FlagKind = FlagKind> {
  readonly kind: K;
  readonly default: FlagValue<K>;
  readonly usage: string;
}

/** The flags of one program, by name (without dashes). */
export type FlagSpec = Readonly<Record<string, FlagDef>>;

/** Parsed values, typed from the spec. */
export type FlagValues<S extends FlagSpec> = { -readonly [N in keyof S]: FlagValue<S[N]["kind"]> };

/** A successful parse. */
export interface ParsedFlags<S extends FlagSpec> {
  readonly kind: "flags";
  readonly values: FlagValues<S>;
  /** Names given on the command line (a config file must not override these, control.md §10.2). */
  readonly explicit: ReadonlySet<string>;
  /** Arguments after the flags. */
  readonly args: readonly string[];
}

/** What {@linkcode parseGoFlags} returns: the flags, or a request for usage (`-h`, `-help`). */
export type FlagParseResult<S extends FlagSpec> = ParsedFlags<S> | { readonly kind: "help" };

/** A string flag. */
export function stringFlag(defaultValue: string, usage: string): FlagDef<"string"> {
  return { kind: "string", default: defaultValue, usage };
}

/** A bool flag: `-x` sets it, `-x=false` clears it (a separate `false` argument is not its value, as in Go). */
export function boolFlag(defaultValue: boolean, usage: string): FlagDef<"bool"> {
  return { kind: "bool", default: defaultValue, usage };
}

/** An integer flag (decimal, or Go's `0x`/`0o`/`0b` prefixes). */
export function intFlag(defaultValue: number, usage: string): FlagDef<"int"> {
  return { kind: "int", default: defaultValue, usage };
}

/** A duration flag in Go syntax (`500ms`, `1h30m`); the value is in milliseconds. */
export function durationFlag(defaultMs: number, usage: string): FlagDef<"duration"> {
  return { kind: "duration", default: defaultMs, usage };
}

/** Arguments beyond this many are refused: a command line is typed, not generated without bound. */
const MAX_ARGS = 4096;

/**
 * Parses `argv` against `spec`. Throws `PilotError("invalid_argument")` with Go's wording for an
 * unknown flag, a missing value or a value the flag cannot parse.
 *
 * @example
 * ```ts
 * import { durationFlag, parseGoFlags, stringFlag } from "./go_flags.ts";
 * const spec = { addr: stringFlag(":9001", "UDP listen address"), keepalive: durationFlag(0, "interval") };
 * const parsed = parseGoFlags(spec, ["-addr=127.0.0.1:0", "--keepalive", "1m30s"]);
 * if (parsed.kind !== "flags" || parsed.values.keepalive !== 90_000) throw new Error("parsed");
 * ```
 */
export function parseGoFlags<S extends FlagSpec>(spec: S, argv: readonly string[]): FlagParseResult<S> {
  if (argv.length > MAX_ARGS) {
    throw new PilotError("invalid_argument", `too many arguments: ${argv.length} (limit ${MAX_ARGS})`);
  }
  const values: Record<string, string | boolean | number> = {};
  for (const [name, def] of Object.entries(spec)) values[name] = def.default;
  const explicit = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i];
    if (arg.length < 2 || arg[0] !== "-") break;
    const dashes = arg[1] === "-" ? 2 : 1;
    if (dashes === 2 && arg.length === 2) {
      i++;
      break;
    }
    const body = arg.slice(dashes);
    if (body.length === 0 || body[0] === "-" || body[0] === "=") {
      throw new PilotError("invalid_argument", `bad flag syntax: ${clip(arg)}`);
    }
    i++;
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    let text = eq < 0 ? undefined : body.slice(eq + 1);
    const def = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (def === undefined) {
      if (name === "h" || name === "help") return { kind: "help" };
      throw new PilotError("invalid_argument", `flag provided but not defined: -${clip(name)}`);
    }
    if (def.kind === "bool") {
      values[name] = text === undefined ? true : convert(def, name, text);
    } else {
      if (text === undefined) {
        if (i >= argv.length) throw new PilotError("invalid_argument", `flag needs an argument: -${name}`);
        text = argv[i++];
      }
      values[name] = convert(def, name, text);
    }
    explicit.add(name);
  }
  return { kind: "flags", values: values as FlagValues<S>, explicit, args: argv.slice(i) };
}

/**
 * Converts the text of one flag value the way the command line would (for config files).
 * Throws `PilotError("invalid_argument")` when the flag cannot parse it.
 */
export function flagValueFromText(def: FlagDef, name: string, text: string): string | boolean | number {
  return convert(def, name, text);
}

/** Go's usage text: `Usage of <program>:` then each flag, sorted, with its type and non-zero default. */
export function formatUsage(program: string, spec: FlagSpec): string {
  const lines = [`Usage of ${program}:`];
  for (const name of Object.keys(spec).sort()) {
    const def = spec[name];
    let head = `  -${name}`;
    if (def.kind !== "bool") head += ` ${def.kind}`;
    // Go keeps a one-letter bool flag and its usage on one line.
    const sep = head.length <= 4 ? "\t" : "\n    \t";
    let text = head + sep + def.usage.replaceAll("\n", "\n    \t");
    const shown = defaultText(def);
    if (shown !== undefined) text += ` (default ${shown})`;
    lines.push(text);
  }
  return lines.join("\n") + "\n";
}

function defaultText(def: FlagDef): string | undefined {
  switch (def.kind) {
    case "string":
      return def.default === "" ? undefined : JSON.stringify(def.default);
    case "bool":
      return def.default === true ? "true" : undefined;
    case "int":
      return def.default === 0 ? undefined : String(def.default);
    case "duration":
      return def.default === 0 ? undefined : formatGoDuration(Number(def.default));
  }
}

function convert(def: FlagDef, name: string, text: string): string | boolean | number {
  try {
    switch (def.kind) {
      case "string":
        return text;
      case "bool":
        return parseGoBool(text);
      case "int":
        return parseGoInt(text);
      case "duration":
        return parseGoDuration(text);
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const what = def.kind === "bool" ? "invalid boolean value" : "invalid value";
    throw new PilotError(
      "invalid_argument",
      `${what} ${JSON.stringify(clip(text))} for flag -${name}: ${why}`,
      {
        cause: err,
      },
    );
  }
  throw new Error(`unknown flag kind of -${name}`);
}

/** Keeps hostile input out of error messages at full length. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
