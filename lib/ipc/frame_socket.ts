/**
 * IPC frames on a socket, for the driver and the daemon side alike, without web streams in between
 * (each stream layer costs promise turns per chunk, and these sockets carry one frame per request).
 *
 * - {@linkcode readFrames} reads the socket into fresh buffers and hands each decoded frame to a
 *   handler, awaiting it only when it returns a promise.
 * - {@linkcode FrameWriter} writes frames in order and coalesces: each `write` resolves once its own
 *   bytes are on the socket, as a direct write would, but frames queued while a write is in flight go
 *   out together in the next one. A writer streaming 4 KiB Send frames makes one system call per batch
 *   instead of one per frame, and the reader wakes once per batch. The bytes on the socket are exactly
 *   the frames, in queue order: only the write boundaries move, and a stream socket has none the reader
 *   can see. A lone frame is written at once (no waiting for company), so latency is unchanged.
 *
 * @module
 */

import { concatBytes } from "../streams/mod.ts";
import type { IpcFrameDecoder, IpcFrameEvent } from "./frame_stream.ts";

/** The part of `Deno.Conn` the reader needs. */
export interface ByteSource {
  /** Reads into `buffer`: bytes read, or `null` at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
}

// As Deno's own socket streams: one read takes up to 64 KiB.
const READ_BYTES = 64 * 1024;

/**
 * Reads `source` to its end, decoding with `decoder`, and hands each event to `handle`, which says
 * whether to go on; a promise it returns is awaited before the next event. Ends when `handle` says stop
 * or the stream ends (then `decoder.finish()` checks that no frame was cut short).
 *
 * @throws the read error, or the decoder's `ipc_frame_too_large` / `ipc_frame_truncated` (after
 *   handling the events before it).
 */
export async function readFrames(
  source: ByteSource,
  decoder: IpcFrameDecoder,
  handle: (event: IpcFrameEvent) => boolean | Promise<boolean>,
): Promise<void> {
  let buffer = new Uint8Array(READ_BYTES);
  // Bounded by the source: each turn waits for the next read, and a closed source ends it.
  for (;;) {
    const n = await source.read(buffer);
    if (n === null) {
      decoder.finish();
      return;
    }
    const events: IpcFrameEvent[] = [];
    let failure: { error: unknown } | undefined;
    try {
      decoder.decode(buffer.subarray(0, n), (event) => events.push(event));
    } catch (error) {
      failure = { error };
    }
    // Bodies may be views of this buffer and outlive the handler (queued Recv data): read into a new one.
    if (events.length > 0) buffer = new Uint8Array(READ_BYTES);
    for (const event of events) {
      const more = handle(event);
      if (!(typeof more === "boolean" ? more : await more)) return;
    }
    if (failure !== undefined) throw failure.error;
  }
}

/** The part of `Deno.Conn` the writer needs. */
export interface ByteSink {
  /** Writes a prefix of `bytes`; resolves with how many bytes were taken. */
  write(bytes: Uint8Array): Promise<number>;
}

interface QueuedWrite {
  readonly chunks: readonly Uint8Array[];
  resolve(): void;
  reject(reason: unknown): void;
}

/**
 * Small chunks are copied into one buffer of up to this many bytes per system call; a chunk this size
 * or larger goes out as it is (copying it would cost more than the call it saves).
 */
const BATCH_BYTES = 256 * 1024;

/** Queues frames for one socket and writes them in order, several per call when they pile up. */
export class FrameWriter {
  #sink: ByteSink;
  #queue: QueuedWrite[] = [];
  #isWriting = false;
  #failure: { reason: unknown } | undefined;

  constructor(sink: ByteSink) {
    this.#sink = sink;
  }

  /**
   * Queues `chunks` (one or more whole frames, which are never interleaved with another write's) and
   * resolves once all of them are written; rejects with the socket's error, or with the reason of an
   * earlier failure. The chunks must stay unchanged until then.
   */
  write(chunks: readonly Uint8Array[]): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure.reason);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ chunks, resolve, reject });
    if (!this.#isWriting) void this.#drain();
    return promise;
  }

  /** Fails every queued write and all later ones with `reason`; the first reason wins. */
  fail(reason: unknown): void {
    this.#failure ??= { reason };
    for (const queued of this.#queue.splice(0)) queued.reject(this.#failure.reason);
  }

  async #drain(): Promise<void> {
    this.#isWriting = true;
    try {
      // Bounded by the queue: each pass takes what is queued now, and callers only add what they await.
      while (this.#queue.length > 0 && this.#failure === undefined) {
        const batch = this.#queue.splice(0);
        try {
          for (const bytes of coalesce(batch)) await this.#writeAll(bytes);
        } catch (err) {
          for (const queued of batch) queued.reject(err);
          this.fail(err);
          return;
        }
        for (const queued of batch) queued.resolve();
      }
    } finally {
      this.#isWriting = false;
    }
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.byteLength;) offset += await this.#sink.write(bytes.subarray(offset));
  }
}

/** The chunks of `batch` in order, runs of small ones joined into buffers of at most BATCH_BYTES. */
function coalesce(batch: readonly QueuedWrite[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let runBytes = 0;
  const endRun = () => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length > 1) out.push(concatBytes(run));
    run = [];
    runBytes = 0;
  };
  for (const queued of batch) {
    for (const chunk of queued.chunks) {
      if (chunk.byteLength >= BATCH_BYTES) {
        endRun();
        out.push(chunk);
        continue;
      }
      if (runBytes + chunk.byteLength > BATCH_BYTES) endRun();
      run.push(chunk);
      runBytes += chunk.byteLength;
    }
  }
  endRun();
  return out;
}
