/**
 * Task commands (cli.md §11): they read and write task files and talk to the task-submit service
 * (port 1003), which is not built yet; each fails with `unavailable` until it is. The subcommand names
 * and their order are final: they give the §2.2 hints.
 *
 * @module
 */

import { type CommandRun, notImplemented } from "../command.ts";

const TASKS = "the task-submit service (port 1003) and its task files";

/** `task submit | accept | decline | execute | send-results | list | queue`. */
export const TASK_SUBCOMMANDS: Readonly<Record<string, CommandRun>> = {
  submit: notImplemented("task submit", "issue #6", TASKS),
  accept: notImplemented("task accept", "issue #6", TASKS),
  decline: notImplemented("task decline", "issue #6", TASKS),
  execute: notImplemented("task execute", "issue #6", TASKS),
  "send-results": notImplemented("task send-results", "issue #6", TASKS),
  list: notImplemented("task list", "issue #6", TASKS),
  queue: notImplemented("task queue", "issue #6", TASKS),
};
