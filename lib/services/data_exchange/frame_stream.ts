/**
 * Web-stream halves of the data-exchange codec: bytes → {@linkcode DataFrameEvent}s for readers, and
 * frame events → bytes for writers. The encoder writes each prefix as its own chunk, then the payload,
 * as the reference client does (two stream writes per frame, see shared/vectors/README.md); on the wire
 * the bytes are identical however they are chunked.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { FRAME_PREFIX_SIZE, FRAME_TYPES, MAX_FRAME_PAYLOAD } from "./constants.ts";
import { encodeDataFramePrefix, encodeFileHeader } from "./frame.ts";
import { DataFrameParser } from "./frame_parser.ts";
import type { DataFrameEvent, DataFrameParserOptions } from "./frame_parser.ts";

/** Options of {@linkcode DataFrameDecoderStream}. */
export type DataFrameDecoderStreamOptions = DataFrameParserOptions;

/**
 * Decodes a byte stream into frame events; use it with `pipeThrough`. A framing error
 * (`frame_too_large`, or `frame_truncated` at the end) errors the writable side at once, so the pipe
 * stops reading its source, and errors the readable side after the events decoded before it.
 *
 * Not a `TransformStream`: erroring one discards the events still queued, so the frames that came in
 * the same chunk as a bad prefix would go unanswered, where the reference answers them before it
 * closes. The readable side is pull-driven and a write waits until the events of the previous chunk
 * were read, so at most one chunk's events are buffered.
 *
 * @example
 * ```ts
 * import { DataFrameDecoderStream } from "./frame_stream.ts";
 * const bytes = Uint8Array.fromHex("000000010000000568656c6c6f");
 * const events = await Array.fromAsync(ReadableStream.from([bytes.subarray(0, 3), bytes.subarray(3)])
 *   .pipeThrough(new DataFrameDecoderStream()));
 * if (events.length !== 1 || events[0]?.kind !== "message") throw new Error("one text frame");
 * ```
 */
export class DataFrameDecoderStream implements ReadableWritablePair<DataFrameEvent, Uint8Array> {
  /** Frame events, in wire order. */
  readonly readable: ReadableStream<DataFrameEvent>;
  /** Bytes from the connection. */
  readonly writable: WritableStream<Uint8Array>;

  /** A decoder with the given payload limit. */
  constructor(options: DataFrameDecoderStreamOptions = {}) {
    const parser = new DataFrameParser(options);
    let queue: DataFrameEvent[] = [];
    let failure: { reason: unknown } | undefined; // once set, the readable errors after the queue
    let isEnded = false;
    let isCancelled = false;
    let wakeReader: (() => void) | undefined;
    let wakeWriter: (() => void) | undefined;
    const wake = () => {
      wakeReader?.();
      wakeReader = undefined;
    };
    const fail = (reason: unknown) => {
      failure ??= { reason };
      wake();
    };
    this.readable = new ReadableStream<DataFrameEvent>({
      pull: async (controller) => {
        // Loops only after a wake-up, each of which follows a write, a close or a failure.
        for (;;) {
          const event = queue.shift();
          if (event !== undefined) {
            controller.enqueue(event);
            if (queue.length === 0) wakeWriter?.();
            return;
          }
          if (failure !== undefined) return controller.error(failure.reason);
          if (isEnded) return controller.close();
          await new Promise<void>((resolve) => wakeReader = resolve);
        }
      },
      cancel: () => {
        isCancelled = true;
        queue = [];
        wakeWriter?.();
      },
    }, { highWaterMark: 0 });
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (isCancelled) throw new PilotError("frame_cancelled", "the frame reader was cancelled");
        try {
          queue.push(...parser.push(chunk));
        } catch (err) {
          fail(err);
          throw err;
        }
        wake();
        if (parser.failure !== undefined) {
          fail(parser.failure);
          throw parser.failure;
        }
        if (queue.length > 0) await new Promise<void>((resolve) => wakeWriter = resolve);
        wakeWriter = undefined;
      },
      close: () => {
        try {
          parser.finish();
        } catch (err) {
          fail(err);
          throw err;
        }
        isEnded = true;
        wake();
      },
      abort: (reason) => {
        queue = []; // an abort (the pipe's signal, a source error) ends the readable at once
        fail(reason);
      },
    });
  }
}

/** What the encoder accepts: a whole frame, or a FILE frame as start, chunks and end. */
export type OutgoingDataFrame =
  | { kind: "message"; type: number; payload: Uint8Array }
  | { kind: "file-start"; name: string; size: number }
  | { kind: "file-chunk"; bytes: Uint8Array }
  | { kind: "file-end" };

/** Options of {@linkcode DataFrameEncoderStream}. */
export interface DataFrameEncoderStreamOptions {
  /**
   * Largest payload the encoder lets out. Default {@linkcode MAX_FRAME_PAYLOAD}: a reference receiver
   * closes the connection on anything larger, so sending it could only lose data.
   */
  maxPayload?: number;
}

/**
 * Encodes frame events into bytes. FILE data is never buffered: each chunk goes out as it comes. The
 * sizes must add up: chunks beyond the declared size, a `file-end` short of it, or a frame started
 * inside an unfinished file all throw `frame_bad_sequence`.
 *
 * @example
 * ```ts
 * import { DataFrameEncoderStream } from "./frame_stream.ts";
 * const text = new TextEncoder();
 * const parts = await Array.fromAsync(ReadableStream.from([
 *   { kind: "file-start", name: "report.md", size: 5 } as const,
 *   { kind: "file-chunk", bytes: text.encode("hello") } as const,
 *   { kind: "file-end" } as const,
 * ]).pipeThrough(new DataFrameEncoderStream()));
 * const hex = parts.map((part) => part.toHex()).join("");
 * if (hex !== "000000040000001000097265706f72742e6d6468656c6c6f") throw new Error("services.md §13.3");
 * ```
 */
export class DataFrameEncoderStream extends TransformStream<OutgoingDataFrame, Uint8Array> {
  /** An encoder with the given payload limit. */
  constructor(options: DataFrameEncoderStreamOptions = {}) {
    const maxPayload = options.maxPayload ?? MAX_FRAME_PAYLOAD;
    let remaining: number | undefined; // file bytes still owed; undefined outside a FILE frame
    const checkLength = (length: number): void => {
      if (length > maxPayload) {
        throw new PilotError(
          "frame_too_large",
          `data-exchange payload of ${length} bytes exceeds the limit of ${maxPayload}`,
          { hint: "split the data into several frames" },
        );
      }
    };
    super({
      transform: (frame, controller) => {
        switch (frame.kind) {
          case "message": {
            if (remaining !== undefined) throw badSequence("a frame started inside an unfinished file");
            checkLength(frame.payload.byteLength);
            // One chunk, so one write: the reference writes the prefix and the payload separately, and
            // under Nagle the second write then waits for the ACK of the first (a delayed ACK, 40 ms).
            // The bytes on the wire are the same either way.
            const whole = new Uint8Array(FRAME_PREFIX_SIZE + frame.payload.byteLength);
            encodeDataFramePrefix({ type: frame.type, length: frame.payload.byteLength }, whole);
            whole.set(frame.payload, FRAME_PREFIX_SIZE);
            controller.enqueue(whole);
            return;
          }
          case "file-start": {
            if (remaining !== undefined) throw badSequence("a file started inside an unfinished file");
            if (!Number.isSafeInteger(frame.size) || frame.size < 0) {
              throw new PilotError("frame_bad_value", `file size ${frame.size} is not a byte count`);
            }
            const header = encodeFileHeader(frame.name);
            const length = header.byteLength + frame.size;
            checkLength(length);
            controller.enqueue(encodeDataFramePrefix({ type: FRAME_TYPES.file, length }));
            controller.enqueue(header);
            remaining = frame.size;
            return;
          }
          case "file-chunk": {
            if (remaining === undefined) throw badSequence("file data outside a file frame");
            if (frame.bytes.byteLength > remaining) {
              throw badSequence(`file data runs ${frame.bytes.byteLength - remaining} bytes past its size`);
            }
            remaining -= frame.bytes.byteLength;
            if (frame.bytes.byteLength > 0) controller.enqueue(frame.bytes);
            return;
          }
          case "file-end": {
            if (remaining === undefined) throw badSequence("file end outside a file frame");
            if (remaining !== 0) throw badSequence(`file ended ${remaining} bytes short of its size`);
            remaining = undefined;
            return;
          }
          default: {
            const never: never = frame;
            throw new Error(`unhandled frame ${JSON.stringify(never)}`);
          }
        }
      },
      flush: () => {
        if (remaining !== undefined) throw badSequence("stream closed inside an unfinished file");
      },
    });
  }
}

function badSequence(message: string): PilotError {
  return new PilotError("frame_bad_sequence", message);
}
