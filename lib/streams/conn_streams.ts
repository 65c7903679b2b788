/**
 * Web streams over a connection object, shared by the overlay connection and the SDK's IPC
 * connection so both get the same backpressure and close semantics: the readable pulls only when a
 * reader asks (highWaterMark 0, so nothing is taken from the connection before it is wanted), and
 * ending either stream, normally or not, closes the whole connection (there is no half-close).
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
