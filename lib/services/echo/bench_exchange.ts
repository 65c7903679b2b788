/**
 * `pilotctl bench`'s exchange with the echo port (services.md §2.3, cli.md §14.5): one connection; a
 * writer sends `total` bytes whose byte k is `k mod 256`, in 4096-byte pieces (the last one shorter),
 * while a concurrent reader counts the echo until it has `total` bytes, the stream ends or the receive
 * timeout (120 s after the last write) passes.
 *
 * For throughput the writer does not wait for each piece to be taken before queueing the next: up to
 * {@linkcode BENCH_WRITES_IN_FLIGHT} pieces are queued, so there is no lock-step on the write path.
 * The bytes on the wire and the result fields are the reference's: `send_duration` runs from the first
 * write to the moment the last write completes, `total_duration` from the first write to the end of
 * the receive wait. Formatting (`fmt`, MB/s text) is the CLI's.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import type { ServiceConn } from "../_service_types.ts";
import { closeQuietly } from "../_service_types.ts";
import {
  BENCH_CHUNK_BYTES,
  BENCH_DEFAULT_BYTES,
  BENCH_PROGRESS_STEP_BYTES,
  BENCH_RECEIVE_TIMEOUT_MS,
  BENCH_WRITES_IN_FLIGHT,
} from "./constants.ts";

/** Progress while a bench runs. */
export interface BenchProgress {
  readonly sentBytes: number;
  readonly recvBytes: number;
}

/** Options of {@linkcode benchEcho}. */
export interface BenchOptions {
  /** Bytes to send: `floor(size_mb × 1048576)`. Default 1 MiB. */
  bytes?: number;
  /** Receive wait after the last write. Default 120 s. */
  timeoutMs?: number;
  /** Called each time another MiB has come back, and once at the end. */
  onProgress?: (progress: BenchProgress) => void;
  /** Aborting closes the connection; `benchEcho` then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** The bench result; the JSON fields of §2.3 plus the unrounded durations for the text lines. */
export interface BenchResult {
  /** `sent_bytes` */
  readonly sentBytes: number;
  /** `recv_bytes` */
  readonly recvBytes: number;
  /** `send_duration_ms`: whole milliseconds. */
  readonly sendDurationMs: number;
  /** `total_duration_ms`: whole milliseconds. */
  readonly totalDurationMs: number;
  /** `send_mbps`: total ÷ send seconds ÷ 1048576 (MiB/s, despite the name). */
  readonly sendMbps: number;
  /** `total_mbps`: total ÷ total seconds ÷ 1048576. */
  readonly totalMbps: number;
  /** Unrounded send duration, ms. */
  readonly sendElapsedMs: number;
  /** Unrounded total duration, ms. */
  readonly totalElapsedMs: number;
  /** True when the receive wait ran out before all bytes came back (text mode prints a warning). */
  readonly timedOut: boolean;
  /** Why reading stopped early (`EOF`, a reset), when it did. */
  readonly readError?: string;
}

/** The 4096-byte piece bench sends: byte i is `i mod 256`. */
export function benchChunk(): Uint8Array {
  const chunk = new Uint8Array(BENCH_CHUNK_BYTES);
  for (let i = 0; i < chunk.byteLength; i++) chunk[i] = i & 0xFF;
  return chunk;
}

/**
 * Runs the bench exchange on `conn` (dialled to port 7) and closes it. A write failure rejects with
 * `connection_failed` `write: <err>` (the reference's text); a read failure only stops the count.
 *
 * @example
 * ```ts
 * import { serveEcho } from "./server.ts";
 * import { benchEcho } from "./bench_exchange.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = serveEcho(listener);
 * const result = await benchEcho(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }), { bytes: 65536 });
 * if (result.recvBytes !== 65536) throw new Error("all bytes echoed");
 * listener.close();
 * await served;
 * ```
 */
export async function benchEcho(conn: ServiceConn, options: BenchOptions = {}): Promise<BenchResult> {
  const total = options.bytes ?? BENCH_DEFAULT_BYTES;
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new PilotError("invalid_argument", `invalid size: ${total} bytes`);
  }
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  const counter = { sent: 0, received: 0 };
  const reading = readEcho(conn, total, counter, onProgress);
  try {
    const startedAt = performance.now();
    await writePattern(conn, total, counter);
    const sentAt = performance.now();
    const outcome = await waitAtMost(reading, options.timeoutMs ?? BENCH_RECEIVE_TIMEOUT_MS);
    signal?.throwIfAborted();
    const endedAt = performance.now();
    onProgress?.({ sentBytes: counter.sent, recvBytes: counter.received });
    const sendElapsedMs = sentAt - startedAt;
    const totalElapsedMs = endedAt - startedAt;
    return {
      sentBytes: counter.sent,
      recvBytes: counter.received,
      sendDurationMs: Math.floor(sendElapsedMs),
      totalDurationMs: Math.floor(totalElapsedMs),
      sendMbps: mibPerSecond(total, sendElapsedMs),
      totalMbps: mibPerSecond(total, totalElapsedMs),
      sendElapsedMs,
      totalElapsedMs,
      timedOut: outcome === "timeout",
      ...(typeof outcome === "object" ? { readError: outcome.error } : {}),
    };
  } catch (err) {
    signal?.throwIfAborted();
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
    await reading; // closing ended the read, so this settles at once; it never rejects
  }
}

function mibPerSecond(bytes: number, elapsedMs: number): number {
  // Nothing sent is 0 MiB/s, not the NaN of 0 / 0.
  return bytes === 0 ? 0 : bytes / (elapsedMs / 1000) / 1_048_576;
}

async function writePattern(conn: ServiceConn, total: number, counter: { sent: number }): Promise<void> {
  const chunk = benchChunk();
  const writer = conn.writable.getWriter();
  const inFlight: Promise<void>[] = [];
  let failure: unknown = undefined;
  const note = (err: unknown) => {
    failure ??= err;
  };
  try {
    for (let offset = 0; offset < total && failure === undefined;) {
      const size = Math.min(BENCH_CHUNK_BYTES, total - offset);
      // Each piece is a fresh view: the stream may hold it until it is written, and it is never mutated.
      const write = writer.write(size === BENCH_CHUNK_BYTES ? chunk : chunk.subarray(0, size));
      inFlight.push(write.then(() => {
        counter.sent += size;
      }, note));
      offset += size;
      if (inFlight.length >= BENCH_WRITES_IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    writer.releaseLock();
  }
  if (failure !== undefined) {
    const detail = failure instanceof Error ? failure.message : String(failure);
    throw new PilotError("connection_failed", `write: ${detail}`, { cause: failure });
  }
}

type ReadOutcome = "done" | { error: string };

async function readEcho(
  conn: ServiceConn,
  total: number,
  counter: { sent: number; received: number },
  onProgress?: (progress: BenchProgress) => void,
): Promise<ReadOutcome> {
  if (total === 0) return "done";
  const reader = conn.readable.getReader();
  let nextProgress = BENCH_PROGRESS_STEP_BYTES;
  try {
    while (counter.received < total) {
      const next = await reader.read();
      if (next.done) return { error: "EOF" };
      counter.received += next.value.byteLength;
      if (onProgress !== undefined && counter.received >= nextProgress) {
        nextProgress = counter.received + BENCH_PROGRESS_STEP_BYTES;
        onProgress({ sentBytes: counter.sent, recvBytes: counter.received });
      }
    }
    return "done";
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  } finally {
    reader.releaseLock();
  }
}

async function waitAtMost(
  reading: Promise<ReadOutcome>,
  timeoutMs: number,
): Promise<ReadOutcome | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
