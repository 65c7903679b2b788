/**
 * Where a running `gateway start` can be found (cli.md §3.2, §16): its PID file `gateway.pid` and (our
 * addition for issue #5) its control socket `gateway.sock`, both in the pilot home, and the liveness
 * check that `start`, `stop`, `map`, `unmap` and `list` begin with.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { processExists } from "../daemon_process.ts";
import { type CliEnvironment, pilotPaths } from "../env.ts";
import { readPidFile } from "./daemon_pid.ts";

/** Files of the gateway in the pilot home. */
export interface GatewayFiles {
  home: string;
  pidFile: string;
  socket: string;
}

/** `gateway.pid` and `gateway.sock` in the pilot home. */
export function gatewayFiles(env: CliEnvironment): GatewayFiles {
  const { home } = pilotPaths(env);
  return { home, pidFile: `${home}/gateway.pid`, socket: `${home}/gateway.sock` };
}

/**
 * The PID of the running gateway, or 0 when the PID file is missing or its process is gone.
 *
 * @throws {PilotError} `internal` when this process may not check (no signal or `kill` permission).
 */
export async function runningGatewayPid(files: GatewayFiles): Promise<number> {
  const pid = await readPidFile(files.pidFile);
  if (pid === 0) return 0;
  const alive = await processExists(pid);
  if (alive === undefined) {
    throw new PilotError("internal", `find process: cannot check pid ${pid} under these permissions`);
  }
  return alive ? pid : 0;
}

/** The `not_running` error of §16.2–§16.5; `hint` as each command gives it. */
export function gatewayNotRunning(hint?: string): PilotError {
  return new PilotError("not_running", "gateway is not running", hint === undefined ? {} : { hint });
}
