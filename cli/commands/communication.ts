/**
 * Communication commands (cli.md §10): raw streams (`connect`, `send`, `recv`), data exchange
 * (`send-file`, `send-message`) and the event stream (`subscribe`, `publish`), all over the daemon's
 * data plane through IPC.
 *
 * @module
 */

import type { CommandRun } from "../command.ts";
import { DATA_EXCHANGE_COMMANDS } from "./data_exchange.ts";
import { PUBSUB_COMMANDS } from "./pubsub.ts";
import { STREAM_COMMANDS } from "./streams.ts";

/** The communication group of the command table, in the order of §1. */
export const COMMUNICATION_COMMANDS: Readonly<Record<string, CommandRun>> = {
  connect: STREAM_COMMANDS.connect,
  send: STREAM_COMMANDS.send,
  recv: STREAM_COMMANDS.recv,
  "send-file": DATA_EXCHANGE_COMMANDS["send-file"],
  "send-message": DATA_EXCHANGE_COMMANDS["send-message"],
  subscribe: PUBSUB_COMMANDS.subscribe,
  publish: PUBSUB_COMMANDS.publish,
};
