/**
 * Task frames (services.md §6.2): `type u32 BE | length u32 BE | length bytes of JSON`. The pure pair
 * {@linkcode encodeTaskFrame} / {@linkcode decodeFramePrefix}, and {@linkcode TaskFrameReader}, which
 * reads whole frames off a byte stream that delivers them in chunks of any size (§0.1) and refuses an
 * oversized frame by its declared length, before allocating its payload.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { FRAME_PREFIX_SIZE, MAX_FRAME_PAYLOAD } from "./constants.ts";

/** One frame: its type id and JSON payload bytes. */
export interface TaskFrame {
  type: number;
  payload: Uint8Array;
}

/**
 * Encodes one frame.
 *
 * @example
 * ```ts
 * import { encodeTaskFrame } from "./frame.ts";
 * const bytes = encodeTaskFrame(1, new TextEncoder().encode("{}"));
 * if (bytes.toHex() !== "00000001000000027b7d") throw new Error("encoded");
 * ```
 */
export function encodeTaskFrame(type: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xFFFF_FFFF) {
    throw new PilotError("frame_bad_type", `frame type ${type} is not a u32`);
  }
  if (payload.byteLength > MAX_FRAME_PAYLOAD) {
    throw new PilotError(
      "frame_too_large",
      `task frame of ${payload.byteLength} bytes exceeds the ${MAX_FRAME_PAYLOAD}-byte limit`,
    );
  }
  const out = new Uint8Array(FRAME_PREFIX_SIZE + payload.byteLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, type);
  view.setUint32(4, payload.byteLength);
  out.set(payload, FRAME_PREFIX_SIZE);
  return out;
}

/** Reads the 8-byte prefix: `{ type, length }`, no limit applied (that is the reader's policy). */
export function decodeFramePrefix(bytes: Uint8Array): { type: number; length: number } {
  if (bytes.byteLength < FRAME_PREFIX_SIZE) {
    throw new PilotError("frame_truncated", `task frame prefix needs 8 bytes, got ${bytes.byteLength}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_PREFIX_SIZE);
  return { type: view.getUint32(0), length: view.getUint32(4) };
}

/** Options of {@linkcode TaskFrameReader}. */
export interface TaskFrameReaderOptions {
  /** Largest payload accepted, inclusive; default 16 MiB (§6.2). */
  maxPayload?: number;
}

/**
 * Pulls whole frames from a byte stream. Bytes past a frame's end stay for the next call, so a peer
 * may write several frames on one connection (the reference's `send-results` does).
 */
export class TaskFrameReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #maxPayload: number;
  #carry: Uint8Array = new Uint8Array(0);

  constructor(readable: ReadableStream<Uint8Array>, options: TaskFrameReaderOptions = {}) {
    this.#reader = readable.getReader();
    this.#maxPayload = options.maxPayload ?? MAX_FRAME_PAYLOAD;
  }

  /**
   * The next frame, or `null` when the stream ends cleanly between frames.
   *
   * @throws {PilotError} `frame_too_large` (declared length over the limit, nothing allocated),
   *   `frame_truncated` (the stream ended inside a frame).
   */
  async next(): Promise<TaskFrame | null> {
    const prefix = new Uint8Array(FRAME_PREFIX_SIZE);
    const gotPrefix = await this.#fill(prefix);
    if (gotPrefix === 0) return null;
    if (gotPrefix < FRAME_PREFIX_SIZE) {
      throw new PilotError("frame_truncated", "stream ended inside a task frame prefix");
    }
    const { type, length } = decodeFramePrefix(prefix);
    if (length > this.#maxPayload) {
      throw new PilotError(
        "frame_too_large",
        `task frame declares ${length} bytes, limit is ${this.#maxPayload}`,
      );
    }
    const payload = new Uint8Array(length);
    if (await this.#fill(payload) < length) {
      throw new PilotError("frame_truncated", `stream ended inside a ${length}-byte task frame`);
    }
    return { type, payload };
  }

  /** Stops reading; the stream is released, not cancelled (the connection's owner closes it). */
  release(): void {
    try {
      this.#reader.releaseLock();
    } catch {
      // A pending read keeps the lock in older runtimes; the connection is being closed anyway.
    }
  }

  /** Fills `target` from the carry-over, then the stream; returns the bytes filled (short at EOF). */
  async #fill(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.byteLength) {
      if (this.#carry.byteLength === 0) {
        const next = await this.#reader.read();
        if (next.done) return filled;
        this.#carry = next.value;
        continue;
      }
      const n = Math.min(this.#carry.byteLength, target.byteLength - filled);
      target.set(this.#carry.subarray(0, n), filled);
      this.#carry = this.#carry.subarray(n);
      filled += n;
    }
    return filled;
  }
}

/** Writes `frames` in order on `writable` (one write per frame) without closing it. */
export async function writeTaskFrames(
  writable: WritableStream<Uint8Array>,
  frames: readonly TaskFrame[],
): Promise<void> {
  const writer = writable.getWriter();
  try {
    for (const frame of frames) await writer.write(encodeTaskFrame(frame.type, frame.payload));
  } finally {
    writer.releaseLock();
  }
}
