/**
 * The CLI path: the real `pilotctl` (a `deno run` child under its own permission flags, as the tests
 * run it) against two daemons, encrypted, each figure next to a baseline of the same run.
 *
 * - `pilotctl bench <peer> 50`: 50 MiB (pilotctl's size is in MiB, as the reference's) through the
 *   peer's echo port, median of `--runs=N` runs (default 5, `_runs.ts`), next to raw UDP one-way
 *   throughput at the encrypted datagram size (PILS, 4166 B), one baseline run per round. pilotctl
 *   prints MiB/s; we turn its byte counts and durations into MB/s (10^6). Both of its figures are judged
 *   against the issue's ≥ 80 MB/s: "sent" (the last byte handed to the daemon) and "echoed" (the last
 *   byte back, so every byte crossed the tunnel twice).
 * - `pilotctl send-message`, 20 sequential invocations, the time of each whole process, next to the
 *   start-up of `pilotctl --help` (it prints the usage and exits 2, cli.md §1) measured in the same
 *   rounds. The issue expects this path to be bound by process start-up; the ratio says how close it
 *   is. The SDK's send-message rate is in `services_throughput.ts`.
 *
 * Usage: `deno task bench cli_path` (about 40 s). MB = 10^6 bytes. `-- --daemon-prof=DIR` has each daemon
 * write a V8 CPU profile into DIR (`scripts/cpu_profile_top.ts`).
 *
 * @module
 */

import { runChild } from "../../cli/_testing.ts";
import { USAGE_TEXT } from "../../cli/usage.ts";
import type { TestDaemon } from "../../tests/_helpers/daemon.ts";
import { ok } from "../../tests/_helpers/task_nodes.ts";
import { printLine } from "../_out.ts";
import { startDaemonPair } from "./_daemon_pair.ts";
import { rawUdpOneWay } from "./_raw_udp.ts";
import { atLeast, printComparison, repeatInRounds, runCount, summarize } from "./_runs.ts";

const BENCH_MIB = 50;
const RAW_SECONDS = 1;
const CLI_MESSAGES = 20;
const MB_PER_SECOND = { name: "MB/s", digits: 1 };
const MILLISECONDS = { name: "ms", digits: 0 };

/** A number field of pilotctl's JSON `data`, or an error naming it. */
function numberField(data: Record<string, unknown>, key: string): number {
  const value = data[key];
  if (typeof value !== "number") throw new Error(`pilotctl bench: ${key} is not a number`);
  return value;
}

async function benches(a: TestDaemon, b: TestDaemon, runs: number): Promise<void> {
  const sentSamples: number[] = [];
  const [raw, echoed] = await repeatInRounds(runs, [
    async () => (await rawUdpOneWay(4166, RAW_SECONDS)).mbPerSecond,
    async () => {
      const data = await ok(a, ["bench", b.address, String(BENCH_MIB), "--timeout", "120s"]);
      const total = BENCH_MIB * 1_048_576;
      if (numberField(data, "recv_bytes") !== total) {
        throw new Error(`pilotctl bench echoed ${data.recv_bytes} of ${total} bytes`);
      }
      sentSamples.push(total / 1e6 / (numberField(data, "send_duration_ms") / 1000));
      return total / 1e6 / (numberField(data, "total_duration_ms") / 1000);
    },
  ]);
  const sent = summarize(sentSamples);
  for (const [what, series] of [["sent", sent], ["echoed (round trip)", echoed]] as const) {
    printComparison({
      label: `pilotctl bench ${BENCH_MIB} MiB, encrypted, ${what}`,
      ours: series,
      unit: MB_PER_SECOND,
      baselineLabel: "raw UDP one-way (4166 B datagrams)",
      baseline: raw,
      ratio: "percent",
      bounds: [atLeast(80, "≥ 80 MB/s")],
    });
  }
}

/** Wall time (ms) of one pilotctl process, from spawn to exit. */
async function timed(run: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function messages(a: TestDaemon, b: TestDaemon): Promise<void> {
  const usageLine = USAGE_TEXT.split("\n")[0];
  // Each round starts one `--help` and one send-message, so both see the same load.
  const [startup, perMessage] = await repeatInRounds(CLI_MESSAGES, [
    () =>
      timed(async () => {
        const help = await runChild(["--help"], { home: a.home, socket: a.socket });
        if (help.code !== 2 || !help.stderr.includes(usageLine)) {
          throw new Error(`pilotctl --help: exit ${help.code}, ${help.stderr.slice(0, 200)}`);
        }
      }),
    (i) =>
      timed(async () => {
        await ok(a, ["send-message", b.address, "--data", `cli bench message ${i}`]);
      }),
  ]);
  printComparison({
    label: `pilotctl send-message, one process each (${(1000 / perMessage.median).toFixed(1)} per second)`,
    ours: perMessage,
    unit: MILLISECONDS,
    baselineLabel: "pilotctl --help start-up",
    baseline: startup,
    ratio: "times",
  });
  printLine(
    `  start-up is ${(startup.median / perMessage.median * 100).toFixed(0)}% of a send-message ` +
      `invocation; the rest is the IPC session, the dial and the exchange`,
  );
}

const runs = runCount();
printLine(`cli_path: pilotctl against two encrypted daemons, median of ${runs} runs`);
const { a, b } = await startDaemonPair(["-log-level", "info"]);
try {
  await benches(a, b, runs);
  await messages(a, b);
} finally {
  await b.stop();
  await a.stop();
}
