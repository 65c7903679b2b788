/**
 * The shape every pilotctl command has: it gets its arguments (after the command word and, for `daemon`,
 * `task` and `gateway`, the subcommand), the renderer and the environment, prints through the renderer,
 * and either returns an exit code or throws a `PilotError` that the dispatcher renders (exit 1).
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import type { CliEnvironment } from "./env.ts";
import type { Renderer } from "./render.ts";

/** What a command runs with. */
export interface CommandContext {
  /** Arguments after the command (and subcommand) word, `--json` already removed. */
  readonly args: readonly string[];
  readonly out: Renderer;
  readonly env: CliEnvironment;
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
