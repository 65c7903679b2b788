/**
 * `pilotctl`: drives a running daemon over its IPC socket. The command table arrives with issue #5.
 *
 * @module
 */

import { createLogger } from "../lib/log.ts";

if (import.meta.main) {
  createLogger().error("pilotctl: no commands are implemented yet (see issue #5)");
  Deno.exit(1);
}
