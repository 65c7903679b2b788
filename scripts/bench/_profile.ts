/**
 * `--<name>=DIR` on a benchmark's command line: the Deno flags that make a child process (a stream
 * sink, a daemon) write a V8 CPU profile into DIR when it exits, for `scripts/cpu_profile_top.ts`.
 * Absent, no flags: profiling costs a few percent, so it is only on when asked.
 *
 * @module
 */

/** `["--cpu-prof", "--cpu-prof-dir=DIR"]` for `--<name>=DIR`, else `[]`. */
export function profileFlags(name: string): string[] {
  const prefix = `--${name}=`;
  const dir = Deno.args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
  return dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}
