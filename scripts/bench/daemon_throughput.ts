/**
 * Two daemons as separate processes, driven over IPC as an application would (the `IpcClient` under
 * the SDK's `connect()` client): one-way stream throughput of 100 MB (10^8 bytes) with encryption on
 * and off next to raw UDP one-way throughput at the tunnel's datagram size (PILS for encrypted, PILT for
 * plaintext), an echo-port ping next to a raw UDP round trip, and the daemons' CPU and memory while idle
 * and their memory during the transfers. Every baseline is measured in this same run.
 *
 * Figures are medians of `--runs=N` runs (default 5, `_runs.ts`), each round measuring the baseline and
 * then ours. The streams are judged against the issue's target for two daemons: encrypted ≥ 100 MB/s
 * and ≥ 25% of raw, plaintext ≥ 40% of raw. The echo ping (dial, write, read, close) is not the
 * control ping the issue's ping target is about (that is `ping_rtt.ts`), so it has no verdict.
 *
 * Idle: once the encrypted pair is up, both daemons and an idle `deno run` process (`_proc_usage.ts`)
 * are sampled together over 10 s: CPU as a share of one core and `VmRSS`, judged against "idle CPU
 * ~0", which we read as ≤ 0.5% of one core (5 ms of CPU a second; a 10 ms busy timer costs more). Reading
 * `/proc` needs `--allow-run=/usr/bin/cat` (see `_proc_usage.ts`); without it the script falls back to
 * the RSS the daemon's Info reports and says the CPU was not measured.
 *
 * Usage: `deno task bench daemon_throughput` (60–75 s with 5 runs on the 2-core machine). MB = 10^6 bytes.
 * `-- --daemon-prof=DIR` has each daemon write a V8 CPU profile into DIR (`scripts/cpu_profile_top.ts`).
 *
 * @module
 */

import { IpcClient } from "../../lib/ipc/mod.ts";
import { parseAddress, PORTS } from "../../lib/protocol/mod.ts";
import type { TestDaemon } from "../../tests/_helpers/daemon.ts";
import { printLine } from "../_out.ts";
import { startDaemonPair } from "./_daemon_pair.ts";
import { rssOf, sampleDaemonRss } from "./_daemon_rss.ts";
import { canReadProc, measureUsage, PROC_READER, startIdleProcess } from "./_proc_usage.ts";
import { percentile, rawUdpOneWay, rawUdpRoundTrip } from "./_raw_udp.ts";
import { atLeast, atMost, type Bound, printComparison, repeatInRounds, runCount, verdict } from "./_runs.ts";

const TRANSFER_BYTES = 100_000_000;
const PINGS = 200;
const RAW_SECONDS = 1;
const IDLE_SECONDS = 10;
const IDLE_CPU_LIMIT_PERCENT = 0.5;
const STREAM_PORT = 6000;
const MB_PER_SECOND = { name: "MB/s", digits: 1 };
const MILLISECONDS = { name: "ms", digits: 3 };

/** Resident memory of a daemon in MB, as its Info reports it. */
async function rssMb(daemon: TestDaemon): Promise<number> {
  await using ipc = await IpcClient.connect(daemon.socket);
  return rssOf(await ipc.info()) / 1e6;
}

async function oneWay(
  a: TestDaemon,
  b: TestDaemon,
  port: number,
): Promise<{ mbPerSecond: number; peakRssMb: number }> {
  await using server = await IpcClient.connect(b.socket);
  await using client = await IpcClient.connect(a.socket);
  await server.bind(port);
  const connId = await client.dial(parseAddress(b.address), port);
  const accepted = await server.accept(port);
  const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
  const sampler = await sampleDaemonRss([a, b], 100);
  const start = performance.now();
  const sending = (async () => {
    for (let sent = 0; sent < TRANSFER_BYTES;) {
      const piece = chunk.subarray(0, Math.min(chunk.byteLength, TRANSFER_BYTES - sent));
      await client.send(connId, piece);
      sent += piece.byteLength;
    }
  })();
  let received = 0;
  while (received < TRANSFER_BYTES) {
    const data = await server.recv(accepted.connId);
    if (data === null) throw new Error(`stream ended after ${received} bytes`);
    received += data.byteLength;
  }
  const elapsed = performance.now() - start;
  const peak = Math.max(...await sampler.stop()) / 1e6;
  await sending;
  await client.closeConnection(connId);
  return { mbPerSecond: TRANSFER_BYTES / 1e6 / (elapsed / 1000), peakRssMb: peak };
}

/** Median round trip (ms) of `PINGS` echo-port exchanges, each on a connection of its own. */
async function echoPings(a: TestDaemon, b: TestDaemon): Promise<number> {
  await using client = await IpcClient.connect(a.socket);
  const samples: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const start = performance.now();
    const connId = await client.dial(parseAddress(b.address), PORTS.ECHO);
    await client.send(connId, new TextEncoder().encode(`ping-${i}`));
    await client.recv(connId);
    samples.push(performance.now() - start);
    await client.closeConnection(connId);
  }
  return percentile(samples, 0.5);
}

function pair(encrypt: boolean) {
  return startDaemonPair(["-log-level", "info", ...(encrypt ? [] : ["-encrypt=false"])]);
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** CPU and RSS of both daemons and of an idle deno process over the same window. */
async function reportIdle(a: TestDaemon, b: TestDaemon): Promise<void> {
  if (!canReadProc()) {
    printLine(
      `idle daemons: RSS ${fmt(await rssMb(a))} / ${fmt(await rssMb(b))} MB (Info); ` +
        `CPU not measured (reading /proc needs --allow-run=${PROC_READER}, which deno task bench grants)`,
    );
    return;
  }
  const baseline = await startIdleProcess();
  try {
    const [usageA, usageB, idle] = await measureUsage([a.pid, b.pid, baseline.pid], IDLE_SECONDS);
    const usage = (u: { cpuPercent: number; rssMb: number }) =>
      `CPU ${fmt(u.cpuPercent, 2)}% of one core, RSS ${fmt(u.rssMb)} MB`;
    printLine(
      `idle for ${IDLE_SECONDS} s after start-up: daemon A ${usage(usageA)}; daemon B ${usage(usageB)}; ` +
        `baseline idle deno process ${usage(idle)}`,
    );
    const bound = atMost(IDLE_CPU_LIMIT_PERCENT, `idle CPU ~0 (≤ ${IDLE_CPU_LIMIT_PERCENT}% of one core)`);
    printLine(`  ${verdict(Math.max(usageA.cpuPercent, usageB.cpuPercent), [bound])}`);
  } finally {
    await baseline.stop();
  }
}

/** The targets for stream throughput between two daemons. */
function streamTargets(encrypt: boolean, rawMedian: number): Bound[] {
  return encrypt
    ? [atLeast(100, "≥ 100 MB/s"), atLeast(0.25 * rawMedian, "≥ 25% of raw")]
    : [atLeast(0.4 * rawMedian, "≥ 40% of raw")];
}

async function streams(a: TestDaemon, b: TestDaemon, encrypt: boolean, runs: number): Promise<void> {
  const datagramBytes = encrypt ? 4166 : 4134;
  const peaks: number[] = [];
  const [raw, ours] = await repeatInRounds(runs, [
    async () => (await rawUdpOneWay(datagramBytes, RAW_SECONDS)).mbPerSecond,
    async (run) => {
      // A port of its own each run: the previous run's listener may still be closing in the daemon.
      const result = await oneWay(a, b, STREAM_PORT + run);
      peaks.push(result.peakRssMb);
      return result.mbPerSecond;
    },
  ]);
  printComparison({
    label: `daemon → daemon stream, ${encrypt ? "encrypted" : "plaintext"}, ${
      TRANSFER_BYTES / 1e6
    } MB over IPC`,
    ours,
    unit: MB_PER_SECOND,
    baselineLabel: `raw UDP one-way (${datagramBytes} B datagrams, ${encrypt ? "PILS" : "PILT"} size)`,
    baseline: raw,
    ratio: "percent",
    bounds: streamTargets(encrypt, raw.median),
  });
  printLine(`  peak daemon RSS during the transfers ${fmt(Math.max(...peaks))} MB (Info)`);
}

async function pings(a: TestDaemon, b: TestDaemon, runs: number): Promise<void> {
  const [raw, ours] = await repeatInRounds(runs, [
    async () => (await rawUdpRoundTrip(PINGS)).medianMs,
    () => echoPings(a, b),
  ]);
  printComparison({
    label: `echo-port ping over IPC (dial, write, read, close), median of ${PINGS}`,
    ours,
    unit: MILLISECONDS,
    baselineLabel: "raw UDP round trip",
    baseline: raw,
    ratio: "times",
  });
}

const runs = runCount();
printLine(`daemon_throughput: two daemons, median of ${runs} runs`);
for (const encrypt of [true, false]) {
  const { a, b } = await pair(encrypt);
  try {
    if (encrypt) await reportIdle(a, b);
    await streams(a, b, encrypt, runs);
    if (encrypt) await pings(a, b, runs);
  } finally {
    await b.stop();
    await a.stop();
  }
}
