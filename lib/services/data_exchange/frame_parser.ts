/**
 * The incremental reader of data-exchange frames (services.md §4.1): a synchronous state machine fed
 * chunks of any size, split at any byte. Text, binary, JSON and unknown-type frames are bounded by the
 * 16 MiB limit and come out whole; FILE frames come out as `file-start`, any number of `file-chunk`s and
 * `file-end`, so a file of any size passes through in the memory of one input chunk plus its name.
 *
 * The stream wrapper is `frame_stream.ts`; keeping the machine synchronous lets the fuzz test drive it
 * without an event loop.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { FILE_NAME_LENGTH_SIZE, FRAME_PREFIX_SIZE, FRAME_TYPES, MAX_FRAME_PAYLOAD } from "./constants.ts";
import { decodeDataFramePrefix, decodeFileName } from "./frame.ts";

/** What the parser emits. Byte fields may be views into the chunk that was pushed. */
export type DataFrameEvent =
  /** A whole non-FILE frame, of any type id (unknown ones included). */
  | { kind: "message"; type: number; payload: Uint8Array }
  /**
   * A FILE frame begins. `size` is the file-data length that will follow in chunks. `name` is `""` when
   * the header is unusable (payload under 2 bytes, or `name_len` past the end): then the data is the
   * whole payload, as §4.1 rule 4 says. `length` is the frame's payload length.
   */
  | { kind: "file-start"; name: string; size: number; length: number }
  /** Next bytes of the file data (never empty). */
  | { kind: "file-chunk"; bytes: Uint8Array }
  /** The FILE frame is complete. */
  | { kind: "file-end" };

/** Options of {@linkcode DataFrameParser}. */
export interface DataFrameParserOptions {
  /** Largest payload accepted, inclusive. Default {@linkcode MAX_FRAME_PAYLOAD} (the reference's). */
  maxPayload?: number;
}

type State =
  | { name: "prefix" }
  | { name: "payload"; type: number; payload: Uint8Array; filled: number }
  | { name: "file-name-length"; length: number }
  | { name: "file-name"; length: number; nameBytes: Uint8Array; filled: number }
  | { name: "file-data"; remaining: number };

/**
 * Turns bytes into {@linkcode DataFrameEvent}s. After it throws, every later call throws the same error:
 * a framing error leaves no way to find the next frame boundary.
 *
 * @example
 * ```ts
 * import { DataFrameParser } from "./frame_parser.ts";
 * const parser = new DataFrameParser();
 * const events = parser.push(Uint8Array.fromHex("000000010000000568656c6c6f"));
 * parser.finish();
 * if (events.length !== 1 || events[0]?.kind !== "message") throw new Error("one whole text frame");
 * ```
 */
export class DataFrameParser {
  readonly #maxPayload: number;
  #prefix = new Uint8Array(FRAME_PREFIX_SIZE);
  #prefixFilled = 0;
  #nameLength = new Uint8Array(FILE_NAME_LENGTH_SIZE);
  #nameLengthFilled = 0;
  #state: State = { name: "prefix" };
  #failure: PilotError | undefined;

  /** Starts idle, before the first frame's prefix. */
  constructor(options: DataFrameParserOptions = {}) {
    this.#maxPayload = options.maxPayload ?? MAX_FRAME_PAYLOAD;
  }

  /** True when no frame is partly read (a stream may end here cleanly). */
  get isIdle(): boolean {
    return this.#state.name === "prefix" && this.#prefixFilled === 0;
  }

  /** The framing error met so far, if any; once set, every later call throws it. */
  get failure(): PilotError | undefined {
    return this.#failure;
  }

  /**
   * Consumes `chunk` and returns the events it completes, in order. When a framing error follows whole
   * frames in the same chunk, those frames are returned and the error is thrown by the next call (see
   * {@linkcode failure}): the reference answers every frame it read before the bad one.
   *
   * @throws {PilotError} `frame_too_large` when a prefix declares more than the limit (before anything
   * is allocated for it).
   */
  push(chunk: Uint8Array): DataFrameEvent[] {
    if (this.#failure !== undefined) throw this.#failure;
    const events: DataFrameEvent[] = [];
    try {
      this.#consume(chunk, events);
    } catch (err) {
      if (!(err instanceof PilotError) || events.length === 0) throw err;
    }
    return events;
  }

  #consume(chunk: Uint8Array, events: DataFrameEvent[]): void {
    let offset = 0;
    // Each pass consumes at least one byte or ends the chunk, so the loop is bounded by its length.
    while (offset < chunk.byteLength) {
      const state = this.#state;
      switch (state.name) {
        case "prefix": {
          const n = copyInto(this.#prefix, this.#prefixFilled, chunk, offset);
          this.#prefixFilled += n;
          offset += n;
          if (this.#prefixFilled === FRAME_PREFIX_SIZE) this.#startFrame(events);
          break;
        }
        case "payload": {
          const n = copyInto(state.payload, state.filled, chunk, offset);
          state.filled += n;
          offset += n;
          if (state.filled === state.payload.byteLength) {
            events.push({ kind: "message", type: state.type, payload: state.payload });
            this.#state = { name: "prefix" };
          }
          break;
        }
        case "file-name-length": {
          const n = copyInto(this.#nameLength, this.#nameLengthFilled, chunk, offset);
          this.#nameLengthFilled += n;
          offset += n;
          if (this.#nameLengthFilled === FILE_NAME_LENGTH_SIZE) this.#startFileName(state.length, events);
          break;
        }
        case "file-name": {
          const n = copyInto(state.nameBytes, state.filled, chunk, offset);
          state.filled += n;
          offset += n;
          if (state.filled === state.nameBytes.byteLength) {
            const size = state.length - FILE_NAME_LENGTH_SIZE - state.nameBytes.byteLength;
            events.push({
              kind: "file-start",
              name: decodeFileName(state.nameBytes),
              size,
              length: state.length,
            });
            this.#enterFileData(size, events);
          }
          break;
        }
        case "file-data": {
          const n = Math.min(state.remaining, chunk.byteLength - offset);
          events.push({ kind: "file-chunk", bytes: chunk.subarray(offset, offset + n) });
          offset += n;
          state.remaining -= n;
          if (state.remaining === 0) this.#endFile(events);
          break;
        }
        default: {
          const never: never = state;
          throw new Error(`unhandled parser state ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /**
   * Declares the end of input.
   *
   * @throws {PilotError} `frame_truncated` when the input stopped inside a frame.
   */
  finish(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.isIdle) return;
    const where = this.#state.name === "prefix" ? "inside a frame header" : "inside a frame payload";
    this.#failure = new PilotError("frame_truncated", `data-exchange stream ended ${where}`);
    throw this.#failure;
  }

  #startFrame(events: DataFrameEvent[]): void {
    const { type, length } = decodeDataFramePrefix(this.#prefix);
    this.#prefixFilled = 0;
    if (length > this.#maxPayload) {
      // Checked before allocating: a peer must not make us reserve 4 GiB with 8 bytes (§4.1 rule 2).
      this.#failure = new PilotError(
        "frame_too_large",
        `data-exchange frame declares ${length} bytes, the limit is ${this.#maxPayload}`,
      );
      throw this.#failure;
    }
    if (type !== FRAME_TYPES.file) {
      if (length === 0) {
        events.push({ kind: "message", type, payload: new Uint8Array(0) });
        return;
      }
      this.#state = { name: "payload", type, payload: new Uint8Array(length), filled: 0 };
      return;
    }
    if (length < FILE_NAME_LENGTH_SIZE) {
      // No room for a name: the whole payload is data under an empty name (§4.1 rule 4).
      events.push({ kind: "file-start", name: "", size: length, length });
      this.#enterFileData(length, events);
      return;
    }
    this.#nameLengthFilled = 0;
    this.#state = { name: "file-name-length", length };
  }

  #startFileName(length: number, events: DataFrameEvent[]): void {
    const nameLength = (this.#nameLength[0] ?? 0) << 8 | (this.#nameLength[1] ?? 0);
    if (FILE_NAME_LENGTH_SIZE + nameLength > length) {
      // The name would run past the payload: empty name, and the two bytes read so far are data too.
      events.push({ kind: "file-start", name: "", size: length, length });
      events.push({ kind: "file-chunk", bytes: this.#nameLength.slice() });
      this.#enterFileData(length - FILE_NAME_LENGTH_SIZE, events);
      return;
    }
    if (nameLength === 0) {
      const size = length - FILE_NAME_LENGTH_SIZE;
      events.push({ kind: "file-start", name: "", size, length });
      this.#enterFileData(size, events);
      return;
    }
    // At most 65,535 bytes, so buffering the name is bounded whatever the peer sends.
    this.#state = { name: "file-name", length, nameBytes: new Uint8Array(nameLength), filled: 0 };
  }

  #enterFileData(size: number, events: DataFrameEvent[]): void {
    if (size === 0) {
      this.#endFile(events);
      return;
    }
    this.#state = { name: "file-data", remaining: size };
  }

  #endFile(events: DataFrameEvent[]): void {
    events.push({ kind: "file-end" });
    this.#state = { name: "prefix" };
  }
}

function copyInto(target: Uint8Array, filled: number, chunk: Uint8Array, offset: number): number {
  const n = Math.min(target.byteLength - filled, chunk.byteLength - offset);
  target.set(chunk.subarray(offset, offset + n), filled);
  return n;
}
