/**
 * `deno task bench`: the micro-benchmarks beside their modules (`*_bench.ts`, run by `deno bench`, each
 * group with a raw baseline of the same run) and then the end-to-end benchmarks in `scripts/bench/`,
 * which start real processes and print their own figures next to raw baselines.
 *
 * Usage: `deno task bench [name filter] [-- arguments for the end-to-end scripts]`, e.g.
 * `deno task bench services_throughput -- --send-file-mib=100`.
 *
 * @module
 */

import { ENV_VARS, UNSTABLE_FLAGS } from "../lib/permissions.ts";
import { printLine } from "./_out.ts";
import { PROC_READER } from "./bench/_proc_usage.ts";
import { TEST_TEMP_ROOT } from "./run_tests.ts";

async function run(args: string[], env: Record<string, string>): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), { args, env, stdin: "null" }).spawn();
  return (await child.status).code;
}

async function main(): Promise<number> {
  const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const split = Deno.args.indexOf("--");
  const own = split === -1 ? Deno.args : Deno.args.slice(0, split);
  const scriptArgs = split === -1 ? [] : Deno.args.slice(split + 1);
  const filter = own[0];
  await Deno.mkdir(TEST_TEMP_ROOT, { recursive: true });
  const runDir = await Deno.makeTempDir({ dir: TEST_TEMP_ROOT, prefix: "bench-" });
  const permissions = [
    ...UNSTABLE_FLAGS,
    "--allow-net",
    `--allow-read=${repo},${runDir}`,
    `--allow-write=${runDir}`,
    // PROC_READER: Deno reads nothing under /proc without --allow-all, and the idle-daemon CPU figure
    // needs /proc/<pid>/stat (see bench/_proc_usage.ts).
    `--allow-run=${Deno.execPath()},${PROC_READER}`,
    `--allow-env=${[...ENV_VARS, "TMPDIR", "PILOT_TEST_TMP"].join(",")}`,
  ];
  const env = { TMPDIR: runDir, PILOT_TEST_TMP: runDir };
  let failures = 0;
  printLine("== micro-benchmarks (deno bench) ==");
  const benchArgs = ["bench", ...permissions, ...(filter ? ["--filter", filter] : []), `${repo}/lib`];
  if (await run(benchArgs, env) !== 0) failures++;
  const scripts: string[] = [];
  for await (const entry of Deno.readDir(`${repo}/scripts/bench`)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !entry.name.startsWith("_")) scripts.push(entry.name);
  }
  for (const name of scripts.sort()) {
    if (filter !== undefined && !name.includes(filter)) continue;
    printLine(`\n== ${name} ==`);
    if (await run(["run", ...permissions, `${repo}/scripts/bench/${name}`, ...scriptArgs], env) !== 0) {
      failures++;
    }
  }
  await Deno.remove(runDir, { recursive: true }).catch(() => {
    // Best effort: each run works in a folder of its own.
  });
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
