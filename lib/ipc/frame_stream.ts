/**
 * IPC framing (control.md §9.1): `[length u32 BE][body]` in both directions, body at most 1,048,576
 * bytes, zero-length bodies ignored. Holds the pure frame encoder, the chunk-by-chunk decoder and its
 * stream wrappers; reading and writing sockets is frame_socket.ts's job, what a body means messages.ts's.
 *
 * Deviation from the reference: its reader drops the connection when a frame announces more than the
 * limit. Our decoder can instead skip such a body (discarding it as it streams past, never buffering it)
 * and report it, so the daemon answers with an Error frame and the connection stays in sync.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { IPC_PREFIX_SIZE, MAX_IPC_BODY, MAX_SEND_DATA } from "./constants.ts";
import { encodeIpcFrame, encodeIpcFrameParts, type IpcMessage } from "./messages.ts";

/** What the decoder emits: a whole body, or the notice that an oversized one was skipped. */
export type IpcFrameEvent =
  | { readonly type: "body"; readonly body: Uint8Array }
  | { readonly type: "oversized"; readonly length: number };

/** Options of {@linkcode IpcFrameDecoderStream}. */
export interface IpcFrameDecoderOptions {
  /** Largest body accepted. Default {@linkcode MAX_IPC_BODY}. */
  maxBody?: number;
  /**
   * What an announced length above `maxBody` does: `"error"` (default) errors the stream with
   * `ipc_frame_too_large`, as the reference drops the connection; `"skip"` emits an `oversized` event
   * as soon as the prefix is read, then discards that many bytes.
   */
  onOversized?: "error" | "skip";
}

/** The text of the oversize error, shared by the decoder and the daemon's Error reply. */
export function oversizedFrameText(length: number, maxBody: number = MAX_IPC_BODY): string {
  return `frame too large: ${length} bytes (max ${maxBody})`;
}

/**
 * Prefixes `body` with its length.
 *
 * @example
 * ```ts
 * import { encodeFrame } from "./frame_stream.ts";
 * if (encodeFrame(Uint8Array.of(0x0d)).join(",") !== "0,0,0,1,13") throw new Error("Info frame");
 * ```
 */
export function encodeFrame(body: Uint8Array): Uint8Array {
  if (body.byteLength > MAX_IPC_BODY) {
    throw new PilotError("ipc_frame_too_large", oversizedFrameText(body.byteLength), {
      hint: "split the data across several messages",
    });
  }
  const out = new Uint8Array(IPC_PREFIX_SIZE + body.byteLength);
  new DataView(out.buffer).setUint32(0, body.byteLength);
  out.set(body, IPC_PREFIX_SIZE);
  return out;
}

/**
 * Splits a byte stream into frame bodies, chunk by chunk, with no stream machinery (the IPC client and
 * server read their sockets with it directly). Survives frames split at any byte; refuses an oversized
 * frame by its announced length before allocating anything. A body that lies whole inside one chunk is
 * a view of that chunk, so the caller must not refill a chunk it has decoded while a body from it may
 * still be in use; only a body spread over several chunks is copied, once, into a buffer of its exact
 * size.
 */
export class IpcFrameDecoder {
  #maxBody: number;
  #skip: boolean;
  #prefix = new Uint8Array(IPC_PREFIX_SIZE);
  #prefixFilled = 0;
  #body: Uint8Array | null = null;
  #bodyFilled = 0;
  #skipRemaining = 0;

  constructor(options: IpcFrameDecoderOptions = {}) {
    this.#maxBody = options.maxBody ?? MAX_IPC_BODY;
    this.#skip = options.onOversized === "skip";
  }

  /**
   * Hands `emit` each event `chunk` completes, in order.
   *
   * @throws {PilotError} `ipc_frame_too_large` for an announced length over the limit (unless skipping),
   *   after emitting the events before it.
   */
  decode(chunk: Uint8Array, emit: (event: IpcFrameEvent) => void): void {
    let offset = 0;
    // Each pass consumes at least one byte, so the loop is bounded by the chunk size.
    while (offset < chunk.byteLength) {
      if (this.#skipRemaining > 0) {
        const n = Math.min(this.#skipRemaining, chunk.byteLength - offset);
        this.#skipRemaining -= n;
        offset += n;
        continue;
      }
      if (this.#body !== null) {
        const n = Math.min(this.#body.byteLength - this.#bodyFilled, chunk.byteLength - offset);
        this.#body.set(chunk.subarray(offset, offset + n), this.#bodyFilled);
        this.#bodyFilled += n;
        offset += n;
        if (this.#bodyFilled === this.#body.byteLength) {
          emit({ type: "body", body: this.#body });
          this.#body = null;
        }
        continue;
      }
      const n = Math.min(IPC_PREFIX_SIZE - this.#prefixFilled, chunk.byteLength - offset);
      this.#prefix.set(chunk.subarray(offset, offset + n), this.#prefixFilled);
      this.#prefixFilled += n;
      offset += n;
      if (this.#prefixFilled < IPC_PREFIX_SIZE) continue;
      this.#prefixFilled = 0;
      const length = new DataView(this.#prefix.buffer).getUint32(0);
      if (length === 0) continue; // §9.1: ignored
      if (length > this.#maxBody) {
        if (!this.#skip) {
          throw new PilotError("ipc_frame_too_large", oversizedFrameText(length, this.#maxBody), {
            hint: `keep each IPC body at or under ${this.#maxBody} bytes`,
          });
        }
        emit({ type: "oversized", length });
        this.#skipRemaining = length;
        continue;
      }
      if (chunk.byteLength - offset >= length) {
        emit({ type: "body", body: chunk.subarray(offset, offset + length) });
        offset += length;
        continue;
      }
      this.#body = new Uint8Array(length);
      this.#bodyFilled = 0;
    }
  }

  /**
   * The input has ended.
   *
   * @throws {PilotError} `ipc_frame_truncated` when it ended inside a frame.
   */
  finish(): void {
    if (this.#prefixFilled > 0 || this.#body !== null) {
      const have = this.#body === null ? this.#prefixFilled : this.#bodyFilled;
      const want = this.#body === null ? IPC_PREFIX_SIZE : this.#body.byteLength;
      throw new PilotError("ipc_frame_truncated", `stream ended inside a frame (${have} of ${want} bytes)`);
    }
    // An oversized body cut short needs no report: it was already answered and never delivered.
  }
}

/** {@linkcode IpcFrameDecoder} as a transform stream (streams hand chunks over, so views stay valid). */
export class IpcFrameDecoderStream extends TransformStream<Uint8Array, IpcFrameEvent> {
  constructor(options: IpcFrameDecoderOptions = {}) {
    const decoder = new IpcFrameDecoder(options);
    super({
      transform: (chunk, controller) => decoder.decode(chunk, (event) => controller.enqueue(event)),
      flush: () => decoder.finish(),
    });
  }
}

/** Encodes messages into frames, one chunk per message. */
export class IpcFrameEncoderStream extends TransformStream<IpcMessage, Uint8Array> {
  constructor() {
    super({
      transform: (msg, controller) => {
        const frame = encodeIpcFrame(msg);
        if (frame.byteLength - IPC_PREFIX_SIZE > MAX_IPC_BODY) {
          throw new PilotError(
            "ipc_frame_too_large",
            oversizedFrameText(frame.byteLength - IPC_PREFIX_SIZE),
            {
              hint: "split Send data with IpcClient.send, which keeps each frame under the limit",
            },
          );
        }
        controller.enqueue(frame);
      },
    });
  }
}

// Below this a frame is copied into one buffer (one write, one syscall); above it the data goes out as a
// view of the caller's buffer, behind a separate small header chunk.
const COPY_LIMIT = 64 * 1024;

/**
 * The chunks to write, in order, for `msg`. Send and Recv data longer than one frame holds is split into
 * frames of at most 1 MiB − 5 data bytes: a stream has no message boundaries, so the split is invisible
 * to the reader (the reference driver does not split, and the daemon drops the connection instead, §9.5).
 * Any other message over the limit throws `ipc_frame_too_large`; SendTo cannot get there, since a
 * datagram carries at most 65,535 bytes.
 *
 * @example
 * ```ts
 * import { encodeIpcFrames } from "./frame_stream.ts";
 * const chunks = encodeIpcFrames({ kind: "send", connId: 1, data: new Uint8Array(3 * 1024 * 1024) });
 * if (chunks.length !== 8) throw new Error("four frames, each a header chunk and a data view");
 * ```
 */
export function encodeIpcFrames(msg: IpcMessage): Uint8Array[] {
  if ((msg.kind === "send" || msg.kind === "recv") && msg.data.byteLength > COPY_LIMIT) {
    const out: Uint8Array[] = [];
    const { data } = msg;
    for (let at = 0; at < data.byteLength; at += MAX_SEND_DATA) {
      const part = data.subarray(at, at + MAX_SEND_DATA);
      out.push(...encodeIpcFrameParts({ kind: msg.kind, connId: msg.connId, data: part }));
    }
    return out;
  }
  const [head, tail] = encodeIpcFrameParts(msg);
  const bodySize = head.byteLength - IPC_PREFIX_SIZE + tail.byteLength;
  if (bodySize > MAX_IPC_BODY) {
    throw new PilotError("ipc_frame_too_large", oversizedFrameText(bodySize), {
      hint: "datagrams carry at most 65535 bytes; send larger data over a stream",
    });
  }
  if (tail.byteLength > COPY_LIMIT) return [head, tail];
  const frame = new Uint8Array(head.byteLength + tail.byteLength);
  frame.set(head, 0);
  frame.set(tail, head.byteLength);
  return [frame];
}
