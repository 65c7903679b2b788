/**
 * The daemon's entry point: flags → config → {@linkcode Daemon}; SIGINT/SIGTERM → the same ordered
 * shutdown (control.md §10.6). Exit status 0 after a clean stop, 1 when start-up fails, 2 for a bad
 * command line; `-h` prints usage and exits 0, as the reference binary does.
 *
 * @module
 */

import { parseDaemonArgs } from "./lib/daemon/config.ts";
import { Daemon } from "./lib/daemon/daemon.ts";
import { isPilotError } from "./lib/errors.ts";
import { stopRequested } from "./lib/flags/mod.ts";
import { createLogger, formatGoLogTime, writeStderr } from "./lib/log.ts";
import { daemonUsage } from "./lib/daemon/config.ts";

/** Runs the daemon with command-line `args`; resolves to the exit status. */
export async function runDaemon(
  args: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  let parsed;
  try {
    parsed = await parseDaemonArgs(args, (name) => Deno.env.get(name));
  } catch (err) {
    if (isPilotError(err, "invalid_argument")) {
      writeStderr(`${err.message}\n${daemonUsage()}`);
      return 2;
    }
    if (isPilotError(err)) {
      // Logging is not configured yet: Go's plain log form (control.md §10.2).
      writeStderr(`${formatGoLogTime(new Date())} ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (parsed.kind === "help") {
    writeStderr(parsed.usage);
    return 0;
  }
  const config = parsed.config;
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  // Listening before start-up: a supervisor may stop us at any time, and we must still stop in order.
  const stop = stopRequested(options.signal);
  let daemon: Daemon;
  try {
    daemon = await Daemon.start({ config, logger: log });
  } catch (err) {
    // The reference reports fatal start errors at INFO before exiting 1 (control.md §10.7).
    log.info(`daemon start: ${err instanceof Error ? err.message : String(err)}`);
    if (!isPilotError(err)) {
      log.error("unexpected start-up failure", { stack: err instanceof Error ? err.stack : "" });
    }
    return 1;
  }
  await stop;
  await daemon.stop();
  return 0;
}

if (import.meta.main) Deno.exit(await runDaemon(Deno.args));
