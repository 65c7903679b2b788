/**
 * The test command of the README and of CI. Runs `deno test` with the sanitizers on and scoped
 * permissions: files only in the repository, `../shared` and a fresh temp folder of this run; child
 * processes only of the deno binary itself (tests start daemons under `lib/permissions.ts` flags).
 * Ends with the plain line `N passed, N failed` taken from deno's own summary.
 *
 * Usage: `deno task test [test files or folders] [-- extra deno test flags]`.
 *
 * @module
 */

import { ENV_VARS, UNSTABLE_FLAGS } from "../lib/permissions.ts";
import { printLine, writeStdout } from "./_out.ts";

/** Parent of every test run's temp folder; the task may write only here. */
export const TEST_TEMP_ROOT = "/tmp/pilot-deno-tests";

/** Counts read from deno test's closing summary line. */
export interface TestSummary {
  passed: number;
  failed: number;
  ignored: number;
}

/** Reads deno test's summary line (`ok | 3 passed (2 steps) | 0 failed | 1 ignored (20ms)`). */
export function parseTestSummary(line: string): TestSummary | undefined {
  // Colours are off (NO_COLOR is set for the child), so the line is plain text.
  const plain = line.trim();
  if (!/^(ok|FAILED) \|/.test(plain)) return undefined;
  const count = (word: string) => Number(new RegExp(`(\\d+) ${word}`).exec(plain)?.[1] ?? 0);
  return { passed: count("passed"), failed: count("failed"), ignored: count("ignored") };
}

async function main(): Promise<number> {
  const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const shared = new URL("../../shared", import.meta.url).pathname.replace(/\/$/, "");
  await Deno.mkdir(TEST_TEMP_ROOT, { recursive: true });
  const runDir = await Deno.makeTempDir({ dir: TEST_TEMP_ROOT, prefix: "run-" });
  const split = Deno.args.indexOf("--");
  const targets = split === -1 ? Deno.args : Deno.args.slice(0, split);
  const extra = split === -1 ? [] : Deno.args.slice(split + 1);
  const args = [
    "test",
    ...UNSTABLE_FLAGS,
    "--sanitize-resources",
    "--sanitize-ops",
    "--allow-net",
    `--allow-read=${repo},${shared},${runDir}`,
    `--allow-write=${runDir}`,
    // The compile test (only with DENORT_BIN) runs the binaries it builds under ${runDir}/compiled.
    `--allow-run=${Deno.execPath()},${runDir}/compiled/pilot-daemon,${runDir}/compiled/pilotctl`,
    `--allow-env=${[...ENV_VARS, "TMPDIR", "PILOT_TEST_TMP", "DENORT_BIN"].join(",")}`,
    ...extra,
    ...(targets.length > 0 ? targets : [repo]),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: repo,
    env: { NO_COLOR: "1", TMPDIR: runDir, PILOT_TEST_TMP: runDir },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let summary: TestSummary | undefined;
  const decoder = new TextDecoder();
  let carry = "";
  for await (const chunk of child.stdout) {
    writeStdout(chunk);
    const lines = (carry + decoder.decode(chunk, { stream: true })).split("\n");
    carry = lines.pop() ?? "";
    for (const line of lines) summary = parseTestSummary(line) ?? summary;
  }
  summary = parseTestSummary(carry) ?? summary;
  const status = await child.status;
  await Deno.remove(runDir, { recursive: true }).catch(() => {
    // A child that outlived its test may still hold files; the next run starts in its own folder anyway.
  });
  if (summary === undefined) {
    // No summary means deno test stopped before running (type error, bad flag): that is one failure.
    printLine(`0 passed, 1 failed`);
    return status.code === 0 ? 1 : status.code;
  }
  const skipped = summary.ignored > 0 ? `, ${summary.ignored} skipped` : "";
  printLine(`${summary.passed} passed, ${summary.failed} failed${skipped}`);
  return summary.failed > 0 && status.code === 0 ? 1 : status.code;
}

if (import.meta.main) Deno.exit(await main());
