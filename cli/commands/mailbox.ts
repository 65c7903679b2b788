/**
 * Mailbox commands (cli.md §15): `received` and `inbox` list what the daemon's data-exchange service
 * stored under `~/.pilot/received/` and `~/.pilot/inbox/`. That service is not built yet, so the
 * commands fail with `unavailable` until its file layout exists.
 *
 * @module
 */

import { type CommandRun, notImplemented } from "../command.ts";

const MAILBOX = "the data-exchange service's inbox and received-file storage";

/** The mailbox group of the command table. */
export const MAILBOX_COMMANDS: Readonly<Record<string, CommandRun>> = {
  received: notImplemented("received", "issue #5", MAILBOX),
  inbox: notImplemented("inbox", "issue #5", MAILBOX),
};
