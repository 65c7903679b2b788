/**
 * Web streams over a connection object, shared by the overlay connection and the IPC connections so
 * all get the same backpressure and close semantics: the readable pulls only when a reader asks
 * (highWaterMark 0, so nothing is taken from the connection before it is wanted), and ending either
 * stream, normally or not, closes the whole connection (there is no half-close).
 *
 * @module
 */

/** What {@linkcode writableFromWriter} needs: a partial write and a close. */
export interface ConnWriter {
  /** Writes a prefix of `bytes`; resolves with how many bytes were taken. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes the connection; idempotent. */
  close(): void;
}

/**
 * A readable that asks `next` for chunks only when a reader pulls. `next` resolves with at least
 * one chunk, or `null` at end of stream; cancelling the stream calls `cancel`.
 *
 * @example
 * ```ts
 * import { readableFromChunks } from "./conn_streams.ts";
 * let sent = false;
 * const readable = readableFromChunks(() => Promise.resolve(sent ? null : (sent = true, [Uint8Array.of(1)])), () => {});
 * const { value } = await readable.getReader().read();
 * if (value?.[0] !== 1) throw new Error("the chunk from next");
 * ```
 */
export function readableFromChunks(
  next: () => Promise<readonly Uint8Array[] | null>,
  cancel: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const chunks = await next();
      if (chunks === null) controller.close();
      else for (const chunk of chunks) controller.enqueue(chunk);
    },
    cancel: () => cancel(),
  }, { highWaterMark: 0 });
}

/**
 * A writable whose each chunk is written whole (looping over partial writes) before the next is
 * taken; closing or aborting it closes `writer`.
 *
 * @example
 * ```ts
 * import { writableFromWriter } from "./conn_streams.ts";
 * const got: number[] = [];
 * const writable = writableFromWriter({
 *   write: (bytes) => Promise.resolve((got.push(bytes[0]), 1)),
 *   close: () => {},
 * });
 * const w = writable.getWriter();
 * await w.write(Uint8Array.of(1, 2));
 * await w.close();
 * if (got.join() !== "1,2") throw new Error("every byte, one partial write at a time");
 * ```
 */
export function writableFromWriter(writer: ConnWriter): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write: async (chunk) => {
      for (let offset = 0; offset < chunk.byteLength;) offset += await writer.write(chunk.subarray(offset));
    },
    close: () => writer.close(),
    abort: () => writer.close(),
  });
}

/** What {@linkcode pipelinedWritable} needs: a whole-chunk send and a close. */
export interface ChunkSender {
  /** Sends all of `chunk`; resolves once it is delivered to the layer below. */
  send(chunk: Uint8Array): Promise<void>;
  /** Closes the connection; idempotent. */
  close(): void;
}

/**
 * A writable that keeps up to `maxBytesInFlight` bytes of sends outstanding instead of waiting for
 * each one, for a sender whose delivery takes a round of the event loop (an IPC socket write): the
 * next chunks are handed over while the previous ones are still being written, so the layer below can
 * write them together. Backpressure stays: past the bound, a write waits for the oldest send. A failed
 * send fails the next write and `close()`; `close()` resolves once every send has been delivered
 * (it does not close the connection, since closing the writable is not a half-close); `abort()` closes
 * the connection. As with every web stream, a chunk is handed over: it may be sent after `write()`
 * resolves, so the producer must not change it.
 *
 * @example
 * ```ts
 * import { pipelinedWritable } from "./conn_streams.ts";
 * const sent: number[] = [];
 * const writable = pipelinedWritable({ send: async (chunk) => void sent.push(chunk[0]), close: () => {} }, 1024);
 * const w = writable.getWriter();
 * await Promise.all([w.write(Uint8Array.of(1)), w.write(Uint8Array.of(2))]);
 * await w.close();
 * if (sent.join() !== "1,2") throw new Error("in order, all delivered by close()");
 * ```
 */
export function pipelinedWritable(sender: ChunkSender, maxBytesInFlight: number): WritableStream<Uint8Array> {
  const inFlight: { bytes: number; sent: Promise<void> }[] = [];
  let bytesInFlight = 0;
  let failure: { reason: unknown } | undefined;
  const settleOldest = async () => {
    const oldest = inFlight[0];
    try {
      await oldest.sent;
    } finally {
      inFlight.shift();
      bytesInFlight -= oldest.bytes;
    }
  };
  const throwIfFailed = () => {
    if (failure !== undefined) throw failure.reason;
  };
  return new WritableStream<Uint8Array>({
    write: async (chunk) => {
      throwIfFailed();
      const sent = sender.send(chunk);
      // Observed here at once, so a failure is kept for the next write instead of going unhandled.
      sent.catch((reason: unknown) => failure ??= { reason });
      inFlight.push({ bytes: chunk.byteLength, sent });
      bytesInFlight += chunk.byteLength;
      while (bytesInFlight > maxBytesInFlight) await settleOldest();
    },
    close: async () => {
      while (inFlight.length > 0) await settleOldest();
      throwIfFailed();
    },
    abort: () => sender.close(),
  });
}
