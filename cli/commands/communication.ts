/**
 * Communication commands (cli.md §10). They open streams or send datagrams through the daemon's data
 * plane (IPC Dial/Send/Recv/Bind) to the stdio, data-exchange and event-stream services, which are not
 * wired yet; each fails with `unavailable` until they are.
 *
 * @module
 */

import { type CommandRun, notImplemented } from "../command.ts";

const STREAMS = "the daemon's data plane (IPC Dial/Send/Recv streams)";

/** The communication group of the command table. */
export const COMMUNICATION_COMMANDS: Readonly<Record<string, CommandRun>> = {
  connect: notImplemented("connect", "issue #5", STREAMS),
  send: notImplemented("send", "issue #5", STREAMS),
  recv: notImplemented("recv", "issue #5", "the daemon's data plane (IPC Bind/Accept)"),
  "send-file": notImplemented("send-file", "issue #5", "the data-exchange service (port 1001)"),
  "send-message": notImplemented("send-message", "issue #5", "the data-exchange service (port 1001)"),
  subscribe: notImplemented("subscribe", "issue #5", "the event-stream service (port 1002)"),
  publish: notImplemented("publish", "issue #5", "the event-stream service (port 1002)"),
};
