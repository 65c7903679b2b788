/**
 * The command-line handling every server binary shares (daemon, registry, beacon), the way the
 * reference's Go programs behave (control.md §10.1–§10.2): `-h` prints usage and exits 0, a bad flag
 * prints the error and usage and exits 2, a `-config` file that cannot be loaded prints
 * `YYYY/MM/DD HH:MM:SS load config: …` and exits 1 (logging is not configured yet at that point).
 *
 * @module
 */

import { isPilotError } from "../errors.ts";
import { formatGoLogTime, writeStderr } from "../log.ts";
import { applyConfig, loadConfigFile } from "./config_file.ts";
import { type FlagSpec, type FlagValues, formatUsage, type ParsedFlags, parseGoFlags } from "./go_flags.ts";

/** What {@linkcode parseProgramFlags} returns: values to run with, or the exit status to end with. */
export type ProgramFlags<S extends FlagSpec> =
  | { readonly kind: "run"; readonly values: FlagValues<S>; readonly parsed: ParsedFlags<S> }
  | { readonly kind: "exit"; readonly code: number };

/** Options of {@linkcode parseProgramFlags}. */
export interface ProgramFlagsOptions {
  /** Where usage and pre-logging errors go; default stderr. */
  write?: (text: string) => void;
  /** The flag naming a JSON config file whose members fill unset flags; default `config`. */
  configFlag?: string;
}

/**
 * Parses a server program's command line and its config file.
 *
 * @example
 * ```ts
 * import { parseProgramFlags } from "./program_flags.ts";
 * import { stringFlag } from "./go_flags.ts";
 * const spec = { addr: stringFlag(":9001", "listen address"), config: stringFlag("", "config file") };
 * const out: string[] = [];
 * const result = await parseProgramFlags("beacon", spec, ["-nope"], { write: (t) => out.push(t) });
 * if (result.kind !== "exit" || result.code !== 2 || !out[0].includes("-nope")) throw new Error();
 * ```
 */
export async function parseProgramFlags<S extends FlagSpec>(
  program: string,
  spec: S,
  args: readonly string[],
  options: ProgramFlagsOptions = {},
): Promise<ProgramFlags<S>> {
  const write = options.write ?? writeStderr;
  let parsed;
  try {
    parsed = parseGoFlags(spec, args);
  } catch (err) {
    if (!isPilotError(err)) throw err;
    write(`${err.message}\n${formatUsage(program, spec)}`);
    return { kind: "exit", code: 2 };
  }
  if (parsed.kind === "help") {
    write(formatUsage(program, spec));
    return { kind: "exit", code: 0 };
  }
  const configPath = Reflect.get(parsed.values, options.configFlag ?? "config");
  if (typeof configPath !== "string" || configPath === "") {
    return { kind: "run", values: parsed.values, parsed };
  }
  try {
    return { kind: "run", values: applyConfig(spec, parsed, await loadConfigFile(configPath)), parsed };
  } catch (err) {
    write(`${formatGoLogTime(new Date())} ${err instanceof Error ? err.message : String(err)}\n`);
    return { kind: "exit", code: 1 };
  }
}

/**
 * Resolves on the first SIGINT or SIGTERM (or when `signal` aborts). The listeners stay installed, so
 * later signals are ignored while the program stops instead of killing it halfway (control.md §10.6);
 * SIGKILL still works. Meant for a program's entry point, which ends with `Deno.exit`.
 */
export function stopRequested(signal?: AbortSignal): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  if (signal !== undefined) {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
    return promise;
  }
  const onSignal = () => resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return promise;
}

/**
 * Waits for a child program while passing SIGINT and SIGTERM on to it, so a `kill` aimed at the parent
 * (a launcher, `pilotctl daemon start --foreground`) still lets the child stop in order instead of
 * orphaning it. A terminal's Ctrl-C reaches both anyway; the child then sees it twice, which our
 * programs ignore while stopping.
 */
export async function waitForwardingSignals(child: Deno.ChildProcess): Promise<Deno.CommandStatus> {
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // The child has already exited: its status is collected below.
    }
  };
  const onTerm = forward("SIGTERM");
  const onInt = forward("SIGINT");
  Deno.addSignalListener("SIGTERM", onTerm);
  Deno.addSignalListener("SIGINT", onInt);
  try {
    return await child.status;
  } finally {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
  }
}
