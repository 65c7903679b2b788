/**
 * The sending side of data exchange (services.md §4.5): one message or one file over an open
 * connection to port 1001, then the receiver's reply. The caller dials and closes the connection; after
 * a rejection other than `service_rejected` the connection is out of step and must be closed.
 *
 * Files stream from a `ReadableStream`, never buffered whole. A file that fits one frame goes as one
 * FILE frame, exactly as the reference sends it; a larger one goes as parts (file_parts.ts), each
 * acknowledged before the next, so `send-file` works for any size and a reference receiver still
 * stores every byte.
 *
 * Deviation: the reference CLI reports an `ERR ... save failed` reply as a success whose `ack` says
 * so; here it is a `PilotError` with code `service_rejected` (the CLI may choose to render it either way).
 * As in the reference there is no reply timeout; pass a `signal` to bound the wait.
 *
 * @module
 */

import { errorText, PilotError } from "../../errors.ts";
import { FRAME_TYPES } from "./constants.ts";
import { DataFrameParser } from "./frame_parser.ts";
import type { DataFrameEvent } from "./frame_parser.ts";
import { DataFrameEncoderStream } from "./frame_stream.ts";
import type { OutgoingDataFrame } from "./frame_stream.ts";
import { planFileParts } from "./file_parts.ts";
import type { ServiceConn } from "./service_conn.ts";
import { concatBytes } from "../../streams/mod.ts";

/** Message types of `send-message --type`. */
export type MessageType = "text" | "json" | "binary";

const MESSAGE_FRAME_TYPES: Record<MessageType, number> = {
  text: FRAME_TYPES.text,
  json: FRAME_TYPES.json,
  binary: FRAME_TYPES.binary,
};

/** A message to send. */
export interface SendMessageInput {
  /** `text` → frame type 1, `json` → 3, `binary` → 2. */
  type: MessageType;
  /** Sent as is; a string goes as its UTF-8 bytes (JSON is not validated, as in the reference). */
  data: Uint8Array | string;
  /** Aborts the send and the wait for the reply. */
  signal?: AbortSignal;
}

/** The outcome of {@linkcode sendMessage}. */
export interface SendMessageResult {
  /** The type as given. */
  type: MessageType;
  /** Bytes of data sent. */
  bytes: number;
  /** The reply text; `undefined` when the connection ended without one (the reference still succeeds). */
  ack: string | undefined;
}

/** A file to send. */
export interface SendFileInput {
  /** Name the receiver sees (normally the last element of the local path). */
  name: string;
  /** Exact byte count `source` yields. */
  size: number;
  /** The file's bytes, read once, chunk by chunk. */
  source: ReadableStream<Uint8Array>;
  /** After each chunk goes out: bytes sent so far and the total. */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Aborts the send and the wait for replies. */
  signal?: AbortSignal;
}

/** The outcome of {@linkcode sendFile}. */
export interface SendFileResult {
  /** The name sent. */
  filename: string;
  /** File size in bytes. */
  bytes: number;
  /** Frames used: 1, or the number of parts. */
  parts: number;
  /** The last reply; `undefined` when the connection ended without one after the last frame. */
  ack: string | undefined;
  /** Every reply, one per frame. */
  acks: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends one TEXT, JSON or BINARY frame and waits for its reply.
 *
 * @throws {PilotError} `connection_failed` ("send: ...") when writing fails; `service_rejected` when
 * the receiver answers `ERR ...`; the signal's reason when aborted.
 */
export async function sendMessage(conn: ServiceConn, input: SendMessageInput): Promise<SendMessageResult> {
  const type = MESSAGE_FRAME_TYPES[input.type];
  if (type === undefined) {
    throw new PilotError(
      "invalid_argument",
      `unknown type ${JSON.stringify(input.type)} (use text, json, or binary)`,
    );
  }
  const payload = typeof input.data === "string" ? encoder.encode(input.data) : input.data;
  await using channel = new ReplyChannel(conn, input.signal);
  await channel.send([{ kind: "message", type, payload }], "send");
  const ack = await channel.readReply();
  return { type: input.type, bytes: payload.byteLength, ack: checkReply(ack) };
}

/**
 * Streams a file and waits for the reply to each frame.
 *
 * @throws {PilotError} `invalid_argument` for an empty or over-long name or a bad size;
 * `connection_failed` ("send failed: ...") when writing fails or the receiver goes away between parts;
 * `service_source_size` when `source` yields more or fewer than `size` bytes (the last frame is then
 * left incomplete, so the receiver stores nothing); `service_rejected` on an `ERR ...` reply.
 */
export async function sendFile(conn: ServiceConn, input: SendFileInput): Promise<SendFileResult> {
  if (input.name === "") throw new PilotError("invalid_argument", "file name is empty");
  if (!Number.isSafeInteger(input.size) || input.size < 0) {
    throw new PilotError("invalid_argument", `file size ${input.size} is not a byte count`);
  }
  const parts = planFileParts(input.name, input.size);
  await using channel = new ReplyChannel(conn, input.signal);
  const source = input.source.getReader();
  const acks: string[] = [];
  let ack: string | undefined;
  let sent = 0;
  let pending: Uint8Array | undefined; // source bytes read but not yet sent
  try {
    for (const [i, part] of parts.entries()) {
      await channel.send([{ kind: "file-start", name: part.name, size: part.size }], "send failed");
      let left = part.size;
      while (left > 0) {
        const chunk = pending ?? await nextChunk(source, sent, input.size);
        const slice = chunk.subarray(0, left);
        pending = chunk.byteLength > left ? chunk.subarray(left) : undefined;
        if (sent + slice.byteLength === input.size) {
          // Hold the last bytes back until the source is known to end here: a longer source must not
          // leave a wrong file complete on the receiver.
          await expectEnd(source, pending, input.size);
        }
        await channel.send([{ kind: "file-chunk", bytes: slice }], "send failed");
        left -= slice.byteLength;
        sent += slice.byteLength;
        input.onProgress?.(sent, input.size);
      }
      if (input.size === 0) await expectEnd(source, pending, 0);
      await channel.send([{ kind: "file-end" }], "send failed");
      ack = checkReply(await channel.readReply());
      if (ack !== undefined) acks.push(ack);
      else if (i < parts.length - 1) {
        throw new PilotError(
          "connection_failed",
          `send failed: no reply to part ${i + 1} of ${parts.length}`,
        );
      }
    }
  } catch (err) {
    await source.cancel(err).catch(() => {}); // the source's own cancel failing changes nothing here
    throw err;
  } finally {
    source.releaseLock();
  }
  return { filename: input.name, bytes: input.size, parts: parts.length, ack, acks };
}

async function nextChunk(source: ReadableStreamDefaultReader<Uint8Array>, sent: number, size: number) {
  // Empty chunks are legal in a stream; skip them (bounded by the source, which must end).
  for (;;) {
    const next = await source.read();
    if (next.done) {
      throw new PilotError("service_source_size", `file source ended after ${sent} of ${size} bytes`);
    }
    if (next.value.byteLength > 0) return next.value;
  }
}

async function expectEnd(
  source: ReadableStreamDefaultReader<Uint8Array>,
  pending: Uint8Array | undefined,
  size: number,
): Promise<void> {
  let extra = pending?.byteLength ?? 0;
  while (extra === 0) {
    const next = await source.read();
    if (next.done) return;
    extra = next.value.byteLength;
  }
  throw new PilotError("service_source_size", `file source yields more than its size of ${size} bytes`);
}

function checkReply(reply: string | undefined): string | undefined {
  if (reply !== undefined && reply.startsWith("ERR ")) {
    throw new PilotError("service_rejected", reply, {
      hint: "the receiver could not store it; check its disk",
    });
  }
  return reply;
}

/**
 * Holds the connection's writer (through a {@linkcode DataFrameEncoderStream}) and reader for one
 * send, and gives both back when disposed.
 */
class ReplyChannel implements AsyncDisposable {
  readonly #encoder = new DataFrameEncoderStream();
  readonly #frames: WritableStreamDefaultWriter<OutgoingDataFrame>;
  readonly #piped: Promise<void>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #parser = new DataFrameParser();
  readonly #events: DataFrameEvent[] = [];
  readonly #signal: AbortSignal | undefined;
  readonly #aborted: Promise<never>;
  readonly #onAbort: () => void;

  constructor(conn: ServiceConn, signal: AbortSignal | undefined) {
    signal?.throwIfAborted();
    this.#signal = signal;
    // The connection stays the caller's: a failed or aborted send neither closes, cancels nor aborts
    // it (any of those closes a Deno TCP socket under the caller's feet); the caller closes it.
    this.#piped = this.#encoder.readable.pipeTo(conn.writable, { preventClose: true, preventAbort: true });
    this.#piped.catch(() => {}); // surfaced through the frame writer's rejections
    this.#frames = this.#encoder.writable.getWriter();
    this.#reader = conn.readable.getReader();
    const aborted = Promise.withResolvers<never>();
    aborted.promise.catch(() => {}); // observed through race() only
    this.#aborted = aborted.promise;
    this.#onAbort = () => aborted.reject(signal?.reason);
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** `promise`, or the signal's reason as soon as it aborts (the loser is left to settle unobserved). */
  #race<T>(promise: Promise<T>): Promise<T> {
    if (this.#signal === undefined) return promise;
    promise.catch(() => {}); // once the signal won, this one's rejection means nothing
    return Promise.race([promise, this.#aborted]);
  }

  async send(frames: OutgoingDataFrame[], context: string): Promise<void> {
    try {
      for (const frame of frames) await this.#race(this.#frames.write(frame));
    } catch (err) {
      this.#signal?.throwIfAborted();
      if (err instanceof PilotError && err.code.startsWith("frame_")) throw err;
      throw new PilotError("connection_failed", `${context}: ${errorText(err)}`, { cause: err });
    }
  }

  /** The next reply frame's payload as text, or `undefined` when the stream ends or breaks first. */
  async readReply(): Promise<string | undefined> {
    const data: Uint8Array[] = [];
    for (;;) {
      for (let event = this.#events.shift(); event !== undefined; event = this.#events.shift()) {
        if (event.kind === "message") return decoder.decode(event.payload);
        if (event.kind === "file-chunk") data.push(event.bytes.slice());
        if (event.kind === "file-end") return decoder.decode(concatBytes(data));
      }
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await this.#race(this.#reader.read());
      } catch {
        this.#signal?.throwIfAborted();
        return undefined; // a reset after the frame went out: no ack, as the reference ignores it
      }
      if (next.done) return undefined;
      try {
        this.#events.push(...this.#parser.push(next.value));
      } catch {
        return undefined; // an unreadable reply counts as none, as in the reference
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#signal?.aborted) {
      // A write may be stuck on a peer that does not read: do not wait for it. The pipe keeps the
      // writable until the caller closes the connection, which ends that write.
      await this.#frames.abort(this.#signal.reason).catch(() => {});
    } else {
      // Ends the pipe (preventClose keeps the connection open) and waits until it lets go of the
      // connection's writable, so the next send on this connection can take it.
      await this.#frames.close().catch(() => {}); // an errored pipe: the send has already failed
      await this.#piped.catch(() => {});
    }
    this.#reader.releaseLock(); // rejects a read still pending after an abort
  }
}
