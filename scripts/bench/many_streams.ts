/**
 * Many concurrent streams through one daemon pair (the performance issue's target: 1,000 streams of
 * 1 MB each, all byte-exact, no stall). Daemon A (embedded registry and beacon) and daemon B run as
 * child processes with encryption on; this process dials B through A's IPC socket with the SDK, one
 * connection per stream, and writes every stream at once; a sink process (`_stream_sink.ts`) on B's
 * IPC socket checks each stream against `_stream_pattern.ts` and closes it once all its bytes are in,
 * and only then does the sender close (see `writeStream` for why). The raw baseline of the same run is
 * the same number of loopback TCP connections from this process to the same sink in TCP mode.
 *
 * Printed per run: streams that arrived byte-exact, MB/s (all bytes over the time from the first write
 * to the last stream's completion at the sink), median and p99 per-stream completion time from the
 * first write, the time to dial every stream, and for the overlay the peak RSS of both daemons and the
 * ratio to raw TCP. If nothing moves (no dial settles, no byte or stream end reaches the sink) for
 * 10 s, the run stops with a `FAILED` line saying how far it got, and the script exits non-zero, as it
 * does when any stream is not byte-exact.
 *
 * Usage: `deno task bench many_streams [-- options]`. Options: `--streams=N` (1000), `--bytes=N`
 * (1000000 per stream), `--dial-concurrency=N` (dials in flight, 8; every stream is dialled before the
 * first write, so all of them are open at once during the transfer; N = the stream count dials all at once),
 * `--max-conns-per-port=N` (passed to both daemons; their default is 1024), `--close-after-write`
 * (the sender closes right after its last write and the sink reads to the end of the stream, which
 * shows whether a close loses data still queued), `--no-raw` (skips the TCP baseline). MB = 10^6 bytes.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connect } from "../../lib/sdk/mod.ts";
import { parseAddress } from "../../lib/protocol/mod.ts";
import { startDaemon } from "../../tests/_helpers/daemon.ts";
import { printLine } from "../_out.ts";
import { sampleDaemonRss } from "./_daemon_rss.ts";
import { percentile } from "./_raw_udp.ts";
import { StreamPattern } from "./_stream_pattern.ts";

const PORT = 6200;
const CHUNK_BYTES = 64 * 1024;
const STALL_MS = 10_000;
/** A bound on one whole run, past what a slow but moving run takes; stalls are caught much earlier. */
const RUN_DEADLINE_MS = 300_000;
/** Longer than the daemon's own dial schedule (29–39 s), so its `dial timeout` is what we see. */
const DIAL_TIMEOUT_MS = 45_000;
const SINK = new URL("./_stream_sink.ts", import.meta.url).pathname;
/**
 * Dials in flight by default. A listener admits a SYN its rate buckets (10 per second per source)
 * refuse while that source has fewer than 8 unanswered handshakes (`UNCONFIRMED_FREE_PER_SOURCE` in
 * lib/transport/connection_table.ts); more at once get SYNs dropped, and a dial whose third SYN goes
 * unanswered switches the peer to the beacon relay for good (network.md §5.4, Q22).
 */
const DEFAULT_DIAL_CONCURRENCY = 8;

interface Options {
  streams: number;
  bytes: number;
  dialConcurrency: number;
  maxConnsPerPort: number | undefined;
  raw: boolean;
  /** Close right after the last write instead of once the sink has confirmed every byte. */
  closeAfterWrite: boolean;
}

/** What both kinds of connection offer the sender: `Deno.Conn` and the SDK's `IpcConn`. */
interface SendConn {
  write(bytes: Uint8Array): Promise<number>;
  read(buffer: Uint8Array): Promise<number | null>;
  close(): void;
}

/** The figures of one run. */
interface RunResult {
  streams: number;
  dialled: number;
  dialErrors: Map<string, number>;
  dialMs: number;
  writeErrors: Map<string, number>;
  byteExact: number;
  faults: string[];
  mbPerSecond: number;
  medianMs: number;
  p99Ms: number;
}

/** Stopped the run: nothing moved for too long, or the whole run overran. */
class RunFailure extends Error {}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      streams: { type: "string", default: "1000" },
      bytes: { type: "string", default: "1000000" },
      "dial-concurrency": { type: "string" },
      "max-conns-per-port": { type: "string" },
      "no-raw": { type: "boolean", default: false },
      "close-after-write": { type: "boolean", default: false },
    },
  });
  const positive = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new Error(`--${name} must be a positive integer, got ${text}`);
    }
    return n;
  };
  const streams = positive("streams", values.streams) ?? 1000;
  return {
    streams,
    bytes: positive("bytes", values.bytes) ?? 1_000_000,
    dialConcurrency: positive("dial-concurrency", values["dial-concurrency"]) ?? DEFAULT_DIAL_CONCURRENCY,
    maxConnsPerPort: positive("max-conns-per-port", values["max-conns-per-port"]),
    raw: !values["no-raw"],
    closeAfterWrite: values["close-after-write"],
  };
}

/**
 * The sink process and what it has reported. Every report counts as progress for the stall watch.
 */
class Sink implements AsyncDisposable {
  readonly port: number;
  bytes = 0;
  /** Arrival time (performance.now) of each stream's end, and the faults of those not byte-exact. */
  readonly ends: number[] = [];
  readonly faults: string[] = [];
  onProgress: () => void = () => {};
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;
  readonly #seen = new Set<number>();
  #waiter: { count: number; resolve: () => void } | undefined;

  private constructor(child: Deno.ChildProcess, port: number, lines: AsyncIterator<string>) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.port = port;
    this.#reading = this.#read(lines);
  }

  static async start(args: string[], permissions: string[]): Promise<Sink> {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, SINK, ...args],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const lines = splitLines(child.stdout)[Symbol.asyncIterator]();
    const first = await lines.next();
    const ready = first.done ? undefined : JSON.parse(first.value);
    if (ready?.ready !== true) {
      await child.stdin.close();
      await child.status;
      throw new Error(`stream sink did not start: ${first.done ? "it exited" : first.value}`);
    }
    return new Sink(child, Number(ready.port), lines);
  }

  /** Resolves once `count` streams have ended at the sink. */
  waitForEnds(count: number): Promise<void> {
    if (this.ends.length >= count) return Promise.resolve();
    const ended = Promise.withResolvers<void>();
    this.#waiter = { count, resolve: ended.resolve };
    return ended.promise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {
      // The sink already exited; its status is collected below.
    });
    await this.#reading;
    await this.#child.status;
  }

  async #read(lines: AsyncIterator<string>): Promise<void> {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const report = JSON.parse(next.value);
      if (typeof report.bytes === "number") this.bytes = report.bytes;
      if (typeof report.done === "number") this.#ended(report.done, String(report.fault ?? ""));
      this.onProgress();
    }
  }

  #ended(index: number, fault: string): void {
    this.ends.push(performance.now());
    const duplicate = index >= 0 && this.#seen.has(index);
    this.#seen.add(index);
    if (fault !== "" || duplicate) this.faults.push(`stream ${index}: ${fault || "arrived twice"}`);
    if (this.#waiter !== undefined && this.ends.length >= this.#waiter.count) this.#waiter.resolve();
  }
}

async function* splitLines(bytes: ReadableStream<Uint8Array>): AsyncIterable<string> {
  let carry = "";
  for await (const text of bytes.pipeThrough(new TextDecoderStream())) {
    const parts = (carry + text).split("\n");
    carry = parts.pop() ?? "";
    yield* parts.filter((line) => line !== "");
  }
}

/**
 * Fails a run when nothing has moved for {@linkcode STALL_MS}, or when the whole run overruns;
 * `describe` says how far it got.
 */
class StallWatch implements Disposable {
  readonly failed: Promise<never>;
  isFailed = false;
  #lastMoveMs = performance.now();
  #timer: ReturnType<typeof setInterval>;

  constructor(describe: () => string) {
    const startMs = this.#lastMoveMs;
    const failed = Promise.withResolvers<never>();
    // Raced below; a failure nobody awaits any more must not be "uncaught".
    failed.promise.catch(() => this.isFailed = true);
    this.failed = failed.promise;
    this.#timer = setInterval(() => {
      const nowMs = performance.now();
      if (nowMs - this.#lastMoveMs > STALL_MS) {
        failed.reject(new RunFailure(`no progress for ${STALL_MS / 1000} s: ${describe()}`));
      } else if (nowMs - startMs > RUN_DEADLINE_MS) {
        failed.reject(new RunFailure(`run still going after ${RUN_DEADLINE_MS / 1000} s: ${describe()}`));
      }
    }, 500);
  }

  moved(): void {
    this.#lastMoveMs = performance.now();
  }

  guard<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.failed]);
  }

  [Symbol.dispose](): void {
    clearInterval(this.#timer);
  }
}

function countError(counts: Map<string, number>, err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  counts.set(text, (counts.get(text) ?? 0) + 1);
}

function formatErrors(counts: Map<string, number>): string {
  return [...counts].map(([text, n]) => `${n}× ${text}`).join("; ");
}

interface Dialled {
  index: number;
  conn: SendConn;
}

/**
 * Dials streams `0..count-1` into `conns`, at most `concurrency` at a time, until `isStopped()`; a
 * connection that arrives after that is closed at once.
 */
async function dialAll(
  count: number,
  concurrency: number,
  dial: (index: number) => Promise<SendConn>,
  progress: {
    conns: Dialled[];
    errors: Map<string, number>;
    onSettled: () => void;
    isStopped: () => boolean;
  },
): Promise<void> {
  let nextIndex = 0;
  const worker = async () => {
    for (let index = nextIndex++; index < count && !progress.isStopped(); index = nextIndex++) {
      try {
        const conn = await dial(index);
        if (progress.isStopped()) closeQuietly(conn);
        else progress.conns.push({ index, conn });
      } catch (err) {
        countError(progress.errors, err);
      }
      progress.onSettled();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function closeQuietly(conn: SendConn): void {
  try {
    conn.close();
  } catch {
    // Closed already (a TCP conn after its stream was written): nothing left to free.
  }
}

/**
 * Writes stream `index` whole; then, unless `closeAfterWrite`, waits for the sink to close its end,
 * which it does once every byte is in. There is no half-close (network.md §5.12) and a close abandons
 * what the peer has not acknowledged after a linger (Q17), so only the receiver can say "all here".
 */
async function writeStream(
  conn: SendConn,
  index: number,
  pattern: StreamPattern,
  closeAfterWrite: boolean,
): Promise<void> {
  const chunk = new Uint8Array(Math.min(CHUNK_BYTES, pattern.bytes));
  try {
    for (let offset = 0; offset < pattern.bytes;) {
      const piece = chunk.subarray(0, Math.min(chunk.byteLength, pattern.bytes - offset));
      pattern.fill(index, offset, piece);
      // Both kinds of write may take only part of what they are given.
      for (let taken = 0; taken < piece.byteLength;) taken += await conn.write(piece.subarray(taken));
      offset += piece.byteLength;
    }
    if (!closeAfterWrite && await conn.read(chunk) !== null) {
      throw new Error("the sink sent data instead of closing");
    }
  } finally {
    closeQuietly(conn);
  }
}

/** Dials every stream, then writes all of them at once and waits until the sink has seen each end. */
async function runStreams(
  options: Options,
  pattern: StreamPattern,
  sink: Sink,
  dial: (index: number) => Promise<SendConn>,
): Promise<RunResult> {
  const dialErrors = new Map<string, number>();
  const writeErrors = new Map<string, number>();
  let settled = 0;
  using watch = new StallWatch(() =>
    `${settled} of ${options.streams} dials settled` +
    (dialErrors.size > 0 ? ` (failed: ${formatErrors(dialErrors)})` : "") +
    `, ${sink.ends.length} streams ended at the sink (${sink.faults.length} not byte-exact), ` +
    `${(sink.bytes / 1e6).toFixed(1)} MB moved` +
    (writeErrors.size > 0 ? `, write errors: ${formatErrors(writeErrors)}` : "")
  );
  sink.onProgress = () => watch.moved();
  const conns: Dialled[] = [];
  const dialStartMs = performance.now();
  const firstWriteMs = await watch.guard((async () => {
    await dialAll(options.streams, options.dialConcurrency, dial, {
      conns,
      errors: dialErrors,
      onSettled: () => {
        settled++;
        watch.moved();
      },
      isStopped: () => watch.isFailed,
    });
    return performance.now();
  })()).catch((err) => {
    for (const { conn } of conns) closeQuietly(conn);
    throw err;
  });
  const endsBefore = sink.ends.length;
  const writing = Promise.all(
    conns.map(({ conn, index }) =>
      writeStream(conn, index, pattern, options.closeAfterWrite).catch((err) => countError(writeErrors, err))
    ),
  );
  await watch.guard(Promise.all([writing, sink.waitForEnds(endsBefore + conns.length)])).catch((err) => {
    // A stalled write never reaches its own close: close every stream so the sink can finish.
    for (const { conn } of conns) closeQuietly(conn);
    throw err;
  });
  const times = sink.ends.slice(endsBefore).map((endMs) => endMs - firstWriteMs);
  const seconds = times.length === 0 ? NaN : Math.max(...times) / 1000;
  return {
    streams: options.streams,
    dialled: conns.length,
    dialErrors,
    dialMs: firstWriteMs - dialStartMs,
    writeErrors,
    byteExact: conns.length - sink.faults.length,
    faults: sink.faults,
    mbPerSecond: (conns.length * pattern.bytes) / 1e6 / seconds,
    medianMs: percentile(times, 0.5),
    p99Ms: percentile(times, 0.99),
  };
}

/** The sink's stream length and how it knows a stream is over. */
function sinkEnd(options: Options): string[] {
  return [String(options.bytes), options.closeAfterWrite ? "eof" : "count"];
}

async function rawTcp(options: Options, pattern: StreamPattern): Promise<RunResult> {
  await using sink = await Sink.start(["tcp", ...sinkEnd(options)], ["--allow-net=127.0.0.1"]);
  return await runStreams(options, pattern, sink, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: sink.port });
    conn.setNoDelay(true);
    return conn;
  });
}

async function overlay(
  options: Options,
  pattern: StreamPattern,
): Promise<RunResult & { peakRssMb: number[] }> {
  const flags = [
    "-public",
    "-log-level",
    "info",
    ...(options.maxConnsPerPort === undefined
      ? []
      : ["-max-conns-per-port", String(options.maxConnsPerPort)]),
  ];
  await using a = await startDaemon({ flags });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    beacon: String(a.ready.beacon),
    flags,
  });
  await using sink = await Sink.start(
    ["pilot", ...sinkEnd(options), b.socket, String(PORT)],
    [`--allow-net=unix:${b.socket}`, `--allow-read=${b.socket}`, `--allow-write=${b.socket}`],
  );
  await using pilot = await connect({ socket: a.socket });
  const to = parseAddress(b.address);
  // Info lists every connection, so with a thousand open it is not free: sample at a modest pace.
  const rss = await sampleDaemonRss([a, b], 500);
  let result: RunResult;
  let peaks: number[];
  try {
    result = await runStreams(
      options,
      pattern,
      sink,
      () => pilot.dial(to, PORT, { timeoutMs: DIAL_TIMEOUT_MS }),
    );
  } finally {
    peaks = await rss.stop();
  }
  return { ...result, peakRssMb: peaks.map((bytes) => bytes / 1e6) };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function describeRun(label: string, run: RunResult): string {
  return `${label}: ${run.byteExact}/${run.streams} streams byte-exact, ${fmt(run.mbPerSecond)} MB/s, ` +
    `completion median ${fmt(run.medianMs, 0)} ms, p99 ${fmt(run.p99Ms, 0)} ms, ` +
    `dial all ${fmt(run.dialMs, 0)} ms` +
    (run.dialErrors.size > 0
      ? `, ${run.streams - run.dialled} dials failed (${formatErrors(run.dialErrors)})`
      : "") +
    (run.writeErrors.size > 0 ? `, write errors (${formatErrors(run.writeErrors)})` : "");
}

/** Prints the run and the first few streams that were not byte-exact; true when every stream was. */
function report(label: string, run: RunResult, extra = ""): boolean {
  printLine(describeRun(label, run) + extra);
  for (const fault of run.faults.slice(0, 5)) printLine(`  ${fault}`);
  return run.byteExact === run.streams && run.writeErrors.size === 0;
}

async function main(): Promise<number> {
  const options = parseOptions(Deno.args);
  const pattern = new StreamPattern(options.bytes);
  const shape = `${options.streams} streams × ${options.bytes} B`;
  let complete = true;
  try {
    const raw = options.raw ? await rawTcp(options, pattern) : undefined;
    if (raw !== undefined) complete = report(`raw TCP loopback, ${shape}`, raw);
    const ours = await overlay(options, pattern);
    const ratio = raw === undefined
      ? ""
      : ` = ${fmt((ours.mbPerSecond / raw.mbPerSecond) * 100)}% of raw TCP`;
    // Printed whatever the baseline did, so report() comes first.
    complete = report(
      `two daemons, encrypted, SDK over IPC, ${shape}`,
      ours,
      `${ratio}; peak RSS A ${fmt(ours.peakRssMb[0])} MB, B ${fmt(ours.peakRssMb[1])} MB`,
    ) && complete;
  } catch (err) {
    if (!(err instanceof RunFailure)) throw err;
    printLine(`FAILED: ${shape}: ${err.message}`);
    return 1;
  }
  if (!complete) printLine(`FAILED: ${shape}: not every stream arrived byte-exact`);
  return complete ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main());
