/**
 * The built-in services between two daemons, driven over IPC as an application does (issue #5 item
 * 10), each figure next to a raw baseline measured in this same run:
 *
 * - send-file (data exchange, port 1001) of 1 GiB: MB/s, the sha256 of both copies and the peak RSS of
 *   both daemons, next to raw UDP one-way throughput at the tunnel's encrypted datagram size, judged
 *   against the targets (≥ 80 MB/s, peak RSS ≤ 150 MB each).
 * - send-message round trips per second through the SDK's `connect()` client (`PilotClient`, which
 *   keeps a few IPC sessions for dialled connections), one overlay connection per message (one at a
 *   time, and 32 senders at once) and all on one, next to loopback TCP request/response to another
 *   process the same ways. Each is the median of `--runs=N` runs (default 5, `_runs.ts`), a run being
 *   up to 2,000 messages or 2 s, whichever ends first, so a run at the target (≥ 2,000/s one
 *   connection per message, judged here) takes about a second and a slower one still ends.
 * - event fan-out (port 1002) to 100 subscribers: events delivered per second summed over all
 *   subscribers, next to the same bytes fanned out over 100 loopback TCP connections by another process.
 *
 * The 1 GiB file needs 2 GiB of temp disk and about a minute; `--send-file-mib=N` sends N MiB instead
 * (`deno task bench services_throughput -- --send-file-mib=100` for a quick look). send-file and the
 * fan-out run once each: five runs of a 1 GiB transfer would take minutes.
 * `-- --daemon-prof=DIR` has each daemon write a V8 CPU profile into DIR (`scripts/cpu_profile_top.ts`).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { dialStream, IpcClient } from "../../lib/ipc/mod.ts";
import { connect, type PilotClient } from "../../lib/sdk/mod.ts";
import { type Address, parseAddress } from "../../lib/protocol/mod.ts";
import { sendFile, sendMessage } from "../../lib/services/data_exchange/mod.ts";
import { encodeEvent, subscribe } from "../../lib/services/event_stream/mod.ts";
import type { TestDaemon } from "../../tests/_helpers/daemon.ts";
import { printLine } from "../_out.ts";
import { sampleDaemonRss } from "./_daemon_rss.ts";
import { startDaemonPair } from "./_daemon_pair.ts";
import { percentile, rawUdpOneWay } from "./_raw_udp.ts";
import { atLeast, atMost, printComparison, repeatInRounds, runCount, verdict } from "./_runs.ts";

const MB = 1024 * 1024;
const MESSAGES = 2000;
/** Senders of the concurrent one-connection-per-message case: agents rarely wait for one message at a time. */
const CONCURRENT_SENDERS = 32;
const MESSAGE_RUN_BUDGET_MS = 2000;
const SUBSCRIBERS = 100;
const EVENTS = 200;
const EVENT_PAYLOAD = 64;
const ROUND_MS = 300;

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const ratio = (ours: number, raw: number) => `${fmt((ours / raw) * 100)}% of raw`;

/** MiB to send: 1024 (the 1 GB), or `--send-file-mib=N`. */
function sendFileMib(): number {
  const arg = Deno.args.find((a) => a.startsWith("--send-file-mib="))?.slice("--send-file-mib=".length);
  const mib = arg === undefined ? 1024 : Number(arg);
  if (!Number.isSafeInteger(mib) || mib < 1) {
    throw new Error(`--send-file-mib wants a whole number, got ${arg}`);
  }
  return mib;
}

/** The highest RSS of each daemon while `work` runs, sampled over IPC every 100 ms. */
async function withPeakRss<T>(daemons: TestDaemon[], work: () => Promise<T>) {
  const sampler = await sampleDaemonRss(daemons, 100);
  const outcome = await work().then((value) => ({ value }), (error) => ({ error }));
  const peaks = await sampler.stop();
  if ("error" in outcome) throw outcome.error;
  return { result: outcome.value, peaks };
}

async function writeFile(path: string, size: number): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  const block = new Uint8Array(MB);
  for (let written = 0; written < size; written += block.byteLength) {
    block.fill(written / MB & 0xff); // a different byte per MiB, so a shifted file cannot pass
    for (let off = 0; off < block.byteLength;) off += await file.write(block.subarray(off));
  }
}

/** Hex SHA-256 of a file, streamed. */
async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  const buffer = new Uint8Array(MB);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
  }
  return hash.digest("hex");
}

async function fileSend(a: TestDaemon, b: TestDaemon, size: number, dir: string) {
  const path = `${dir}/bench-${size}.bin`;
  await writeFile(path, size);
  try {
    await using ipc = await IpcClient.connect(a.socket);
    const { result: seconds, peaks } = await withPeakRss([a, b], async () => {
      const conn = await dialStream(ipc, parseAddress(b.address), 1001);
      const file = await Deno.open(path);
      const start = performance.now();
      await sendFile(conn, { name: "bench.bin", size, source: file.readable });
      const elapsed = (performance.now() - start) / 1000;
      conn.close();
      await conn.closed;
      return elapsed;
    });
    const sent = await sha256OfFile(path);
    let received: string | undefined;
    for await (const entry of Deno.readDir(`${b.pilotHome}/received`)) {
      const file = `${b.pilotHome}/received/${entry.name}`;
      received = await sha256OfFile(file);
      await Deno.remove(file);
    }
    if (received !== sent) throw new Error(`send-file: received sha256 ${received}, sent ${sent}`);
    return { mbPerSecond: size / 1e6 / seconds, seconds, peaks, sha256: sent };
  } finally {
    await Deno.remove(path);
  }
}

/**
 * One run of request/response exchanges: up to `MESSAGES`, or until `MESSAGE_RUN_BUDGET_MS` has passed.
 * Resolves with round trips per second and appends each exchange's time (ms) to `times`.
 */
async function exchangeRun(
  exchange: (i: number) => Promise<void>,
  times: number[],
  concurrency = 1,
): Promise<number> {
  const start = performance.now();
  let started = 0;
  let done = 0;
  // `concurrency` senders, each taking the next exchange until the count or the time budget is spent.
  const sender = async () => {
    while (started < MESSAGES && performance.now() - start < MESSAGE_RUN_BUDGET_MS) {
      const i = started++;
      const begin = performance.now();
      await exchange(i);
      times.push(performance.now() - begin);
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return done / ((performance.now() - start) / 1000);
}

/** One run of send-messages through the SDK client, each on its own connection or all on one. */
async function messageRun(
  pilot: PilotClient,
  b: Address,
  oneConnection: boolean,
  times: number[],
  concurrency = 1,
) {
  const shared = oneConnection ? await pilot.dial(b, 1001) : undefined;
  try {
    return await exchangeRun(
      async (i) => {
        const conn = shared ?? await pilot.dial(b, 1001);
        const reply = await sendMessage(conn, { type: "text", data: `bench message ${i}` });
        if (reply.ack === undefined) throw new Error(`message ${i} got no ACK`);
        if (shared === undefined) {
          conn.close();
          await conn.closed;
        }
      },
      times,
      concurrency,
    );
  } finally {
    shared?.close();
    await shared?.closed;
  }
}

/** Publishes warm-up events until every subscriber has one, then `EVENTS` events; deliveries per second. */
async function fanOut(a: TestDaemon, b: Address): Promise<number> {
  await using ipc = await IpcClient.connect(a.socket);
  const topic = new TextEncoder().encode("bench");
  const warm = Array.from({ length: SUBSCRIBERS }, () => false);
  const counts = Array.from({ length: SUBSCRIBERS }, () => 0);
  const allWarm = Promise.withResolvers<void>();
  const allDone = Promise.withResolvers<void>();
  let warmed = 0;
  let finished = 0;
  const conns = await Promise.all(warm.map(() => dialStream(ipc, b, 1002)));
  const subs = conns.map((conn, i) =>
    subscribe(conn, topic, {
      collect: false,
      onEvent: (event) => {
        if (event.payload[0] === 0x77) { // "w"
          if (!warm[i] && ++warmed === SUBSCRIBERS) allWarm.resolve();
          warm[i] = true;
        } else if (++counts[i] === EVENTS && ++finished === SUBSCRIBERS) allDone.resolve();
      },
    })
  );
  const publisher = await dialStream(ipc, b, 1002);
  const writer = publisher.writable.getWriter();
  await writer.write(encodeEvent({ topic, payload: new Uint8Array() }));
  const warmup = encodeEvent({ topic, payload: new Uint8Array(EVENT_PAYLOAD).fill(0x77) });
  // A subscription travels on its own connection and may arrive after a publication; repeat, bounded.
  for (let round = 0; round < 50 && warmed < SUBSCRIBERS; round++) {
    await writer.write(warmup);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([allWarm.promise, new Promise((resolve) => timer = setTimeout(resolve, ROUND_MS))]);
    clearTimeout(timer);
  }
  if (warmed < SUBSCRIBERS) throw new Error("not every subscriber was registered");
  const burst = new Uint8Array(EVENTS * warmup.byteLength);
  for (let i = 0; i < EVENTS; i++) {
    burst.set(
      encodeEvent({ topic, payload: new Uint8Array(EVENT_PAYLOAD).fill(0x6d) }),
      i * warmup.byteLength,
    );
  }
  const start = performance.now();
  await writer.write(burst);
  await allDone.promise;
  const rate = (SUBSCRIBERS * EVENTS) / ((performance.now() - start) / 1000);
  writer.releaseLock();
  publisher.close();
  for (const conn of conns) conn.close();
  await Promise.all(subs);
  return rate;
}

/** The raw TCP peer process (`_tcp_peer.ts`). */
interface TcpPeer {
  connect(): Promise<Deno.TcpConn>;
  stop(): Promise<void>;
}

async function startTcpPeer(): Promise<TcpPeer> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", new URL("./_tcp_peer.ts", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const next = await reader.read();
    if (next.done) throw new Error("tcp peer ended early");
    text += next.value;
  }
  await reader.cancel();
  const port = Number(text.split("\n")[0]);
  return {
    connect: () => Deno.connect({ hostname: "127.0.0.1", port }),
    stop: async () => {
      await child.stdin.close();
      await child.status;
    },
  };
}

async function readExactly(conn: Deno.Conn, size: number): Promise<void> {
  const buffer = new Uint8Array(Math.min(size, 65536));
  for (let have = 0; have < size;) {
    const n = await conn.read(buffer.subarray(0, Math.min(buffer.byteLength, size - have)));
    if (n === null) throw new Error(`raw peer closed after ${have} of ${size} bytes`);
    have += n;
  }
}

/** The same exchanges over loopback TCP to the peer process. */
async function rawMessageRun(
  peer: TcpPeer,
  oneConnection: boolean,
  times: number[],
  concurrency = 1,
): Promise<number> {
  const shared = oneConnection ? await peer.connect() : undefined;
  if (shared !== undefined) await shared.write(new Uint8Array([0x52]));
  try {
    return await exchangeRun(
      async (i) => {
        const body = new TextEncoder().encode(`bench message ${i}`);
        const request = new Uint8Array(8 + body.byteLength);
        new DataView(request.buffer).setUint32(0, 1);
        new DataView(request.buffer).setUint32(4, body.byteLength);
        request.set(body, 8);
        const conn = shared ?? await peer.connect();
        await conn.write(shared === undefined ? new Uint8Array([0x52, ...request]) : request);
        await readExactly(conn, 11);
        if (shared === undefined) conn.close();
      },
      times,
      concurrency,
    );
  } finally {
    shared?.close();
  }
}

/** Median and p95 of every exchange of every run, in ms. */
function latencies(times: number[]): string {
  return `median ${fmt(percentile(times, 0.5), 2)} ms, p95 ${fmt(percentile(times, 0.95), 2)} ms`;
}

async function messageRates(pilot: PilotClient, b: Address, peer: TcpPeer, runs: number): Promise<void> {
  const cases = [
    { oneConnection: false, concurrency: 1 },
    { oneConnection: false, concurrency: CONCURRENT_SENDERS },
    { oneConnection: true, concurrency: 1 },
  ];
  for (const { oneConnection, concurrency } of cases) {
    const ourTimes: number[] = [];
    const rawTimes: number[] = [];
    const [ours, raw] = await repeatInRounds(runs, [
      () => messageRun(pilot, b, oneConnection, ourTimes, concurrency),
      () => rawMessageRun(peer, oneConnection, rawTimes, concurrency),
    ]);
    const how = oneConnection
      ? "all on one connection"
      : concurrency === 1
      ? "one connection each, one at a time"
      : `one connection each, ${concurrency} at a time`;
    printComparison({
      label: `send-message through the SDK, ${how} (${ourTimes.length} messages in ${runs} runs; ${
        latencies(ourTimes)
      })`,
      ours,
      unit: { name: "round trips/s", digits: 1 },
      baselineLabel: `raw TCP (${latencies(rawTimes)})`,
      baseline: raw,
      ratio: "percent",
      bounds: oneConnection ? undefined : [atLeast(2000, "≥ 2,000/s")],
    });
  }
}

async function rawFanOut(peer: TcpPeer): Promise<number> {
  const event = encodeEvent({
    topic: new TextEncoder().encode("bench"),
    payload: new Uint8Array(EVENT_PAYLOAD),
  });
  const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => peer.connect()));
  await Promise.all(subs.map(async (sub) => {
    await sub.write(new Uint8Array([0x53]));
    await readExactly(sub, 1); // registered
  }));
  const publisher = await peer.connect();
  const burst = new Uint8Array(1 + EVENTS * event.byteLength);
  burst[0] = 0x50;
  for (let i = 0; i < EVENTS; i++) burst.set(event, 1 + i * event.byteLength);
  const start = performance.now();
  const receiving = Promise.all(subs.map((sub) => readExactly(sub, EVENTS * event.byteLength)));
  for (let off = 0; off < burst.byteLength;) off += await publisher.write(burst.subarray(off));
  await receiving;
  const rate = (SUBSCRIBERS * EVENTS) / ((performance.now() - start) / 1000);
  publisher.close();
  for (const sub of subs) sub.close();
  return rate;
}

const fileSize = sendFileMib() * MB;
const rawUdp = await rawUdpOneWay(4166, 3);
printLine(`raw UDP one-way, 4166 B datagrams (PILS size): ${fmt(rawUdp.mbPerSecond)} MB/s`);
const peer = await startTcpPeer();
const { a, b } = await startDaemonPair(["-log-level", "info"]);
const dir = await Deno.makeTempDir({ prefix: "bench-files-" });
try {
  const target = parseAddress(b.address);
  {
    const run = await fileSend(a, b, fileSize, dir);
    const [sender, receiver] = [run.peaks[0] ?? NaN, run.peaks[1] ?? NaN];
    printLine(
      `send-file ${fileSize / MB} MiB, encrypted, over IPC: ${fmt(run.mbPerSecond)} MB/s ` +
        `(${fmt(run.seconds)} s) = ${ratio(run.mbPerSecond, rawUdp.mbPerSecond)} UDP one-way; ` +
        `peak RSS sender ${fmt(sender / 1e6)} MB, receiver ${fmt(receiver / 1e6)} MB; ` +
        `sha256 equal (${run.sha256.slice(0, 16)}…)`,
    );
    printLine(`  ${verdict(run.mbPerSecond, [atLeast(80, "≥ 80 MB/s")])}`);
    printLine(
      `  ${verdict(Math.max(sender, receiver) / 1e6, [atMost(150, "peak RSS ≤ 150 MB (both daemons)")])}`,
    );
  }
  {
    await using pilot = await connect({ socket: a.socket });
    await messageRates(pilot, target, peer, runCount());
  }
  const events = await fanOut(a, target);
  const rawEvents = await rawFanOut(peer);
  printLine(
    `event fan-out, ${EVENTS} × ${EVENT_PAYLOAD} B events to ${SUBSCRIBERS} subscribers: ` +
      `${fmt(events, 0)} deliveries/s; raw TCP fan-out of the same bytes ${fmt(rawEvents, 0)}/s ` +
      `(${ratio(events, rawEvents)})`,
  );
} finally {
  await b.stop();
  await a.stop();
  await peer.stop();
  await Deno.remove(dir, { recursive: true });
}
