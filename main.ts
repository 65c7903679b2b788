/**
 * The daemon's entry point. Until the daemon lands (issue #4) it says so and exits non-zero, rather than
 * pretending to run a node.
 *
 * @module
 */

import { createLogger } from "./lib/log.ts";

if (import.meta.main) {
  const log = createLogger();
  log.error("daemon start: the daemon is not implemented yet (see issue #4)");
  Deno.exit(1);
}
