/**
 * The two daemons the daemon, services and CLI benchmarks drive: public, the second joined to the
 * first's embedded registry and beacon, each writing a CPU profile when the benchmark got
 * `--daemon-prof=DIR` (`_profile.ts`).
 *
 * @module
 */

import { startDaemon, type TestDaemon } from "../../tests/_helpers/daemon.ts";
import { profileFlags } from "./_profile.ts";

/** Starts the pair with `flags` added to each daemon's; stops the first if the second cannot start. */
export async function startDaemonPair(flags: string[]): Promise<{ a: TestDaemon; b: TestDaemon }> {
  const denoFlags = profileFlags("daemon-prof");
  const a = await startDaemon({ flags: ["-public", ...flags], denoFlags });
  try {
    const join = { registry: String(a.ready.registry), beacon: String(a.ready.beacon) };
    return { a, b: await startDaemon({ ...join, flags: ["-public", ...flags], denoFlags }) };
  } catch (err) {
    await a.stop();
    throw err;
  }
}
