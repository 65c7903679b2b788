/**
 * Gateway commands (cli.md §16): the IP gateway that bridges local TCP to overlay streams. It is not
 * built yet; each subcommand fails with `unavailable` until it is. When it lands, `map`/`list`/`unmap`
 * must talk to the running gateway (issue #5), not to a fresh one as the reference does (§20 item 9).
 *
 * @module
 */

import { type CommandRun, notImplemented } from "../command.ts";

const GATEWAY = "the IP gateway (TCP to overlay streams)";

/** `gateway start | stop | map | unmap | list`. */
export const GATEWAY_SUBCOMMANDS: Readonly<Record<string, CommandRun>> = {
  start: notImplemented("gateway start", "issue #6", GATEWAY),
  stop: notImplemented("gateway stop", "issue #6", GATEWAY),
  map: notImplemented("gateway map", "issue #6", GATEWAY),
  unmap: notImplemented("gateway unmap", "issue #6", GATEWAY),
  list: notImplemented("gateway list", "issue #6", GATEWAY),
};
