/**
 * `--<name>=DIR` on a benchmark's command line: the Deno flags that make a child process (a stream
 * sink, a daemon) write a V8 CPU profile into DIR when it exits, for `scripts/cpu_profile_top.ts`.
 * Absent, no flags: profiling costs a few percent, so it is only on when asked. Also the daemon pair
 * the daemon benchmarks start, profiled on `--daemon-prof=DIR`.
 *
 * @module
 */

import { startDaemon, type TestDaemon } from "../../tests/_helpers/daemon.ts";

/** `["--cpu-prof", "--cpu-prof-dir=DIR"]` for `--<name>=DIR`, else `[]`. */
export function profileFlags(name: string): string[] {
  const prefix = `--${name}=`;
  const dir = Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
  return dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

/**
 * Two public daemons with `flags`, the second joined to the first's embedded registry and beacon, each
 * profiled when the benchmark got `--daemon-prof=DIR`.
 */
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
