/**
 * `pilotctl`: the user CLI of the daemon (cli.md). This file only pre-processes argv (§2.1), dispatches
 * through the command table (§2.2) and maps the outcome to an exit code (§4.9); the commands live in
 * `cli/commands/`, output in `cli/render.ts`.
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import type { CommandRun, StdinSource } from "./command.ts";
import { findCommand } from "./command_table.ts";
import { type CliEnvironment, PROCESS_ENV } from "./env.ts";
import { EXIT, type OutputSink, Renderer } from "./render.ts";
import { USAGE_TEXT } from "./usage.ts";

/** Where one invocation reads its environment and writes its output (tests pass their own). */
export interface PilotctlIo {
  env?: CliEnvironment;
  stdout?: OutputSink;
  stderr?: OutputSink;
  stdin?: StdinSource;
  /** Whether stdout counts as a terminal (progress meters); default: asks the real stdout. */
  isTerminal?: boolean;
}

/**
 * Runs one pilotctl invocation and returns its exit code.
 *
 * @example
 * ```ts
 * import { runPilotctl } from "./pilotctl.ts";
 * const chunks: Uint8Array[] = [];
 * const code = await runPilotctl([], { stderr: { write: (b) => chunks.push(b) } });
 * if (code !== 2) throw new Error("no arguments print the usage and exit 2");
 * ```
 */
export async function runPilotctl(argv: readonly string[], io: PilotctlIo = {}): Promise<number> {
  // §2.1: the exact token `--json` is a global switch wherever it appears, and is never an argument.
  const json = argv.includes("--json");
  const args = argv.filter((arg) => arg !== "--json");
  const out = new Renderer({ json, stdout: io.stdout, stderr: io.stderr, isTerminal: io.isTerminal });
  const env = io.env ?? PROCESS_ENV;
  if (args.length === 0) return out.usage(USAGE_TEXT);
  const [word, ...rest] = args;
  const entry = findCommand(word);
  if (entry === undefined) {
    if (!json) return out.usage(USAGE_TEXT, `unknown command: ${word}`);
    return out.error(
      new PilotError("invalid_argument", `unknown command: ${word}`, {
        hint: "run 'pilotctl context' for the full command list",
      }),
    );
  }
  let run: CommandRun;
  let commandArgs: readonly string[] = rest;
  if ("run" in entry) {
    run = entry.run;
  } else {
    const [sub, ...subArgs] = rest;
    if (sub === undefined) {
      return out.error(
        new PilotError("invalid_argument", "missing subcommand", { hint: entry.group.missingHint }),
      );
    }
    const found = Object.hasOwn(entry.group.subcommands, sub) ? entry.group.subcommands[sub] : undefined;
    if (found === undefined) {
      return out.error(
        new PilotError("invalid_argument", `unknown ${word} subcommand: ${sub}`, {
          hint: entry.group.unknownHint,
        }),
      );
    }
    run = found;
    commandArgs = subArgs;
  }
  try {
    return (await run({ args: commandArgs, out, env, stdin: io.stdin })) ?? EXIT.OK;
  } catch (err) {
    return out.error(err);
  }
}

if (import.meta.main) Deno.exit(await runPilotctl(Deno.args));
