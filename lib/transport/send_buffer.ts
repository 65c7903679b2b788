/**
 * The sending half of a stream (`spec/network.md` §5.7, §5.10): bytes the application wrote but that are
 * not yet segmented, and the segments in flight with their transmission counts, send times and SACK
 * marks. It chooses segment boundaries (MSS, and the Q4 rule below) and never re-cuts a segment, because
 * the reference receiver matches retransmissions by exact start offset (§5.9). When to cut (Nagle,
 * windows) and when to retransmit is the connection's decision.
 *
 * @module
 */

import { seqAdd, seqAfterOrEqual } from "../protocol/mod.ts";
import type { SackBlock } from "../protocol/mod.ts";
import { SEGMENT_BYTES } from "./constants.ts";

/** One segment sent and not yet cumulatively acknowledged. */
export interface SentSegment {
  /** Sequence number of its first byte. */
  readonly seq: number;
  /** The exact bytes; a retransmission resends them unchanged. */
  readonly payload: Uint8Array;
  /** Transmissions so far, the original included (fast retransmits count too, §5.11). */
  transmissions: number;
  /** When it was last (re)transmitted, in ms. */
  lastSentMs: number;
  /** Covered by a SACK block of the peer since the last cumulative ACK advance. */
  sacked: boolean;
}

/** What a cumulative ACK removed. */
export interface AckResult {
  /** Segments now fully acknowledged, oldest first. */
  readonly removed: SentSegment[];
}

const SACK_MAGIC = [0x53, 0x41, 0x43, 0x4B] as const;

/** Unsent bytes plus in-flight segments of one connection, bounded by `capacityBytes`. */
export class SendBuffer {
  readonly #capacity: () => number;
  #chunks: Uint8Array[] = [];
  #headOffset = 0;
  #unsent = 0;
  #flight: SentSegment[] = [];
  #inFlight = 0;

  /** `capacity`: a fixed size, or a function read at each write (a share that changes with load). */
  constructor(capacity: number | (() => number)) {
    this.#capacity = typeof capacity === "number" ? () => capacity : capacity;
  }

  /** The most unsent plus unacknowledged bytes `append` lets in now. */
  get capacityBytes(): number {
    return this.#capacity();
  }

  /** Bytes written and not yet cut into a segment. */
  get unsentBytes(): number {
    return this.#unsent;
  }

  /** Sum of the lengths of the unacknowledged segments (§5.8 "bytes in flight"). */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  /** Segments in flight, oldest first (read-only view for the connection's timers). */
  get inFlight(): readonly SentSegment[] {
    return this.#flight;
  }

  /** Room left for `append`. */
  get freeBytes(): number {
    return Math.max(0, this.capacityBytes - this.#unsent - this.#inFlight);
  }

  /** Copies as much of `bytes` as fits and returns how many bytes were taken. */
  append(bytes: Uint8Array): number {
    const n = Math.min(bytes.byteLength, this.freeBytes);
    if (n === 0) return 0;
    // A copy: the caller may reuse its buffer as soon as write() returns.
    this.#chunks.push(bytes.slice(0, n));
    this.#unsent += n;
    return n;
  }

  /**
   * Cuts the next segment (at most one MSS) off the unsent bytes, or returns `undefined` when there are
   * none. Boundaries follow the Q4 interop rule: no segment may begin with `SACK`, a count byte 1..4 and
   * 5 + 8·count bytes, or a reference receiver would swallow it as a SACK option (§5.9). Two cuts enforce
   * it: a segment that begins like an option is ended before the option would be complete, and a full
   * segment whose successor would begin like one is ended a byte early (so both keep their data).
   */
  cut(): Uint8Array | undefined {
    if (this.#unsent === 0) return undefined;
    let length = Math.min(SEGMENT_BYTES, this.#unsent);
    const count = this.#optionCountAt(0);
    if (count !== undefined) length = Math.min(length, 4 + 8 * count);
    if (length < this.#unsent && length > 1 && this.#optionCountAt(length) !== undefined) length -= 1;
    return this.#take(length);
  }

  /** Records a segment just transmitted for the first time. */
  track(seq: number, payload: Uint8Array, nowMs: number): void {
    this.#flight.push({ seq, payload, transmissions: 1, lastSentMs: nowMs, sacked: false });
    this.#inFlight += payload.byteLength;
  }

  /** Removes every segment whose end is at or before `ack`, and clears the SACK marks of the rest. */
  acknowledge(ack: number): AckResult {
    let n = 0;
    while (n < this.#flight.length) {
      const segment = this.#flight[n];
      if (!seqAfterOrEqual(ack, seqAdd(segment.seq, segment.payload.byteLength))) break;
      n++;
    }
    const removed = this.#flight.splice(0, n);
    for (const segment of removed) this.#inFlight -= segment.payload.byteLength;
    // SACK information is re-applied from the same packet afterwards (§5.10).
    for (const segment of this.#flight) segment.sacked = false;
    return { removed };
  }

  /** Marks every in-flight segment that lies entirely inside one block. Returns how many became marked. */
  markSacked(blocks: readonly SackBlock[]): number {
    let marked = 0;
    for (const segment of this.#flight) {
      if (segment.sacked) continue;
      const end = seqAdd(segment.seq, segment.payload.byteLength);
      // Serial comparisons: identical to the reference's unsigned ones below 4 GiB (§5.6 quirk).
      if (blocks.some((b) => seqAfterOrEqual(segment.seq, b.left) && seqAfterOrEqual(b.right, end))) {
        segment.sacked = true;
        marked++;
      }
    }
    return marked;
  }

  /** The oldest in-flight segment without a SACK mark, or `undefined`. */
  firstUnsacked(): SentSegment | undefined {
    return this.#flight.find((s) => !s.sacked);
  }

  /** Drops everything, unsent and in flight (connection closed or abandoned). */
  clear(): void {
    this.#chunks = [];
    this.#headOffset = 0;
    this.#unsent = 0;
    this.#flight = [];
    this.#inFlight = 0;
  }

  /** The count byte if an option-looking prefix (magic + 1..4) starts `offset` bytes into the unsent data. */
  #optionCountAt(offset: number): number | undefined {
    if (this.#unsent - offset < 5) return undefined;
    for (let i = 0; i < 4; i++) {
      if (this.#byteAt(offset + i) !== SACK_MAGIC[i]) return undefined;
    }
    const count = this.#byteAt(offset + 4);
    return count >= 1 && count <= 4 ? count : undefined;
  }

  #byteAt(offset: number): number {
    let at = this.#headOffset + offset;
    for (const chunk of this.#chunks) {
      if (at < chunk.byteLength) return chunk[at];
      at -= chunk.byteLength;
    }
    throw new Error(`send buffer offset ${offset} past ${this.#unsent} unsent bytes`);
  }

  #take(length: number): Uint8Array {
    const head = this.#chunks[0];
    if (head.byteLength - this.#headOffset >= length) {
      // Common case: a view into our own copy, no second copy.
      const out = head.subarray(this.#headOffset, this.#headOffset + length);
      this.#advance(length);
      return out;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.#chunks[0];
      const n = Math.min(length - filled, chunk.byteLength - this.#headOffset);
      out.set(chunk.subarray(this.#headOffset, this.#headOffset + n), filled);
      filled += n;
      this.#advance(n);
    }
    return out;
  }

  #advance(n: number): void {
    this.#headOffset += n;
    this.#unsent -= n;
    if (this.#headOffset === this.#chunks[0].byteLength) {
      this.#chunks.shift();
      this.#headOffset = 0;
    }
  }
}
