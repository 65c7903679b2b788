/**
 * The shape every pilotctl command has: it gets its arguments (after the command word and, for `daemon`,
 * `task` and `gateway`, the subcommand), the renderer and the environment, prints through the renderer,
 * and either returns an exit code or throws a `PilotError` that the dispatcher renders (exit 1).
 *
 * @module
 */

import { fstatSync } from "node:fs";
import { PilotError } from "../lib/errors.ts";
import type { CliEnvironment } from "./env.ts";
import type { Renderer } from "./render.ts";

/** Standard input as `connect`'s pipe mode reads it (§10.1). */
export interface StdinSource {
  /** True for a character device: a terminal, and also `/dev/null`, as the reference checks. */
  isCharDevice(): Promise<boolean>;
  readonly readable: ReadableStream<Uint8Array>;
}

/** The process's standard input. */
export const PROCESS_STDIN: StdinSource = {
  isCharDevice(): Promise<boolean> {
    try {
      return Promise.resolve(fstatSync(0).isCharacterDevice());
    } catch {
      // fstat refused (a closed stdin): fall back to the terminal check.
      return Promise.resolve(Deno.stdin.isTerminal());
    }
  },
  get readable(): ReadableStream<Uint8Array> {
    return Deno.stdin.readable;
  },
};

/** What a command runs with. */
export interface CommandContext {
  /** Arguments after the command (and subcommand) word, `--json` already removed. */
  readonly args: readonly string[];
  readonly out: Renderer;
  readonly env: CliEnvironment;
  /** Standard input; the process's when absent. */
  readonly stdin?: StdinSource;
}

/** A command; `void` means exit 0. */
export type CommandRun = (ctx: CommandContext) => Promise<number | void>;

/**
 * A command whose backing service is not built yet: it fails with `unavailable` (the §17 code for "not
 * implemented") instead of pretending, naming the issue that tracks it.
 */
export function notImplemented(name: string, issue: string, needs: string): CommandRun {
  return () =>
    Promise.reject(
      new PilotError("service_unavailable", `${name} is not implemented yet in Pilot for Deno (${issue})`, {
        hint: `it needs ${needs}; see ${issue}`,
      }),
    );
}
