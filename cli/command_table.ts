/**
 * The command table of pilotctl (cli.md §1): every top-level command and, for `daemon`, `task` and
 * `gateway`, their subcommands with the hints of §2.2. Dispatch is case-sensitive. Commands whose
 * backing services are not built yet are listed with their `notImplemented` stand-in.
 *
 * @module
 */

import type { CommandRun } from "./command.ts";
import { runConfig, runContext, runInit } from "./commands/bootstrap.ts";
import { COMMUNICATION_COMMANDS } from "./commands/communication.ts";
import { DAEMON_SUBCOMMANDS, runDaemonRun } from "./commands/daemon.ts";
import { DIAGNOSTIC_COMMANDS } from "./commands/diagnostics.ts";
import { DISCOVERY_COMMANDS } from "./commands/discovery.ts";
import { GATEWAY_SUBCOMMANDS } from "./commands/gateway.ts";
import { MAILBOX_COMMANDS } from "./commands/mailbox.ts";
import { MANAGEMENT_COMMANDS } from "./commands/management.ts";
import { REGISTRY_COMMANDS } from "./commands/registry.ts";
import { TASK_SUBCOMMANDS } from "./commands/tasks.ts";
import { TRUST_COMMANDS } from "./commands/trust.ts";

/** A command word with subcommands. */
export interface CommandGroup {
  readonly subcommands: Readonly<Record<string, CommandRun>>;
  /** Hint when the subcommand is missing: `available: pilotctl daemon start | stop | status`. */
  readonly missingHint: string;
  /** Hint for an unknown subcommand: `available: start, stop, status`. */
  readonly unknownHint: string;
}

/** A table entry: a command, or a group of subcommands. */
export type CommandEntry = { readonly run: CommandRun } | { readonly group: CommandGroup };

function group(name: string, subcommands: Readonly<Record<string, CommandRun>>): CommandEntry {
  const names = Object.keys(subcommands);
  return {
    group: {
      subcommands,
      missingHint: `available: pilotctl ${name} ${names.join(" | ")}`,
      unknownHint: `available: ${names.join(", ")}`,
    },
  };
}

function commands(table: Readonly<Record<string, CommandRun>>): Record<string, CommandEntry> {
  return Object.fromEntries(Object.entries(table).map(([name, run]) => [name, { run }]));
}

/** Every command pilotctl knows, by its first word. */
export const COMMAND_TABLE: Readonly<Record<string, CommandEntry>> = {
  init: { run: runInit },
  config: { run: runConfig },
  context: { run: runContext },
  daemon: group("daemon", DAEMON_SUBCOMMANDS),
  "_daemon-run": { run: runDaemonRun },
  ...commands(REGISTRY_COMMANDS),
  ...commands(DISCOVERY_COMMANDS),
  ...commands(COMMUNICATION_COMMANDS),
  task: group("task", TASK_SUBCOMMANDS),
  ...commands(TRUST_COMMANDS),
  ...commands(MANAGEMENT_COMMANDS),
  ...commands(DIAGNOSTIC_COMMANDS),
  ...commands(MAILBOX_COMMANDS),
  gateway: group("gateway", GATEWAY_SUBCOMMANDS),
};

/** Looks a command word up; `Object.hasOwn` keeps `constructor` or `__proto__` from matching. */
export function findCommand(word: string): CommandEntry | undefined {
  return Object.hasOwn(COMMAND_TABLE, word) ? COMMAND_TABLE[word] : undefined;
}
