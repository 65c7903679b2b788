/**
 * In-order reassembly of received stream data (`spec/network.md` §5.9): the next expected sequence
 * number, the out-of-order buffer (at most 128 segments, matched by exact start offset) and the SACK
 * blocks built from it. Delivered bytes go to a sink that may refuse them when the receive queue is
 * full (Q2 interop note): a refused segment is not acknowledged and the peer retransmits it.
 *
 * @module
 */

import { seqAdd, seqAfter, seqDiff } from "../protocol/mod.ts";
import type { SackBlock } from "../protocol/mod.ts";
import { SACK_MAX_BLOCKS } from "../protocol/mod.ts";
import { OUT_OF_ORDER_SEGMENTS } from "./constants.ts";

/** Takes one in-order segment; returns false (and keeps nothing) when it has no room. */
export type DeliverySink = (bytes: Uint8Array) => boolean;

/** What happened to an offered segment. */
export type ReceiveOutcome =
  /** In order and delivered (perhaps with buffered successors). */
  | "delivered"
  /** Ahead of `expected`, kept in the out-of-order buffer. */
  | "stored"
  /** Before `expected`: already delivered, ignored (§5.9). */
  | "duplicate"
  /** Ahead, but the buffer is full, holds that offset already, or it is past the window. */
  | "discarded"
  /** In order, but the sink had no room: dropped unacknowledged (Q2). */
  | "refused";

/** Options of {@linkcode Reassembly}. */
export interface ReassemblyOptions {
  /** Out-of-order segments kept (§5.9: 128). */
  maxSegments?: number;
  /**
   * Farthest a stored segment may start beyond `expected`, in bytes. The reference has no such bound;
   * ours stops a hostile peer from parking segments far ahead. Senders stay within the advertised window
   * (≤ 2 MiB), so honest traffic never reaches it.
   */
  maxAheadBytes: number;
}

/** Receive-side sequence state of one connection. Not safe for shared use. */
export class Reassembly {
  #expected: number;
  #buffer = new Map<number, Uint8Array>();
  readonly #maxSegments: number;
  readonly #maxAheadBytes: number;

  constructor(expected: number, options: ReassemblyOptions) {
    this.#expected = expected >>> 0;
    this.#maxSegments = options.maxSegments ?? OUT_OF_ORDER_SEGMENTS;
    this.#maxAheadBytes = options.maxAheadBytes;
  }

  /** Next in-order sequence number: the ack number we send (§5.9). */
  get expected(): number {
    return this.#expected;
  }

  /** Segments held out of order. */
  get outOfOrderCount(): number {
    return this.#buffer.size;
  }

  /** Offers a data segment. `payload` is copied if it has to be kept past this call. */
  receive(seq: number, payload: Uint8Array, sink: DeliverySink): ReceiveOutcome {
    if (seq === this.#expected) {
      if (!sink(payload.slice())) return "refused";
      this.#expected = seqAdd(this.#expected, payload.byteLength);
      this.drain(sink);
      return "delivered";
    }
    if (!seqAfter(seq, this.#expected)) return "duplicate";
    if (
      this.#buffer.size >= this.#maxSegments || this.#buffer.has(seq) ||
      seqDiff(seq, this.#expected) >= this.#maxAheadBytes
    ) {
      return "discarded";
    }
    this.#buffer.set(seq, payload.slice());
    return "stored";
  }

  /**
   * Delivers buffered segments that start exactly at `expected`, while the sink takes them. Call it
   * again when the sink has room once more (the application consumed data).
   */
  drain(sink: DeliverySink): void {
    for (
      let next = this.#buffer.get(this.#expected);
      next !== undefined;
      next = this.#buffer.get(this.#expected)
    ) {
      if (!sink(next)) return;
      this.#buffer.delete(this.#expected);
      this.#expected = seqAdd(this.#expected, next.byteLength);
    }
    // A stored segment overtaken by a longer one can never match exactly again: drop it, so it neither
    // holds a slot nor shows up below the cumulative ACK in our SACK blocks.
    for (const seq of this.#buffer.keys()) {
      if (!seqAfter(seq, this.#expected)) this.#buffer.delete(seq);
    }
  }

  /** Up to 4 merged blocks of the out-of-order buffer, lowest first; empty when nothing is buffered. */
  sackBlocks(): SackBlock[] {
    const starts = [...this.#buffer.keys()].sort((a, b) =>
      seqDiff(a, this.#expected) - seqDiff(b, this.#expected)
    );
    const blocks: SackBlock[] = [];
    for (const left of starts) {
      const right = seqAdd(left, this.#buffer.get(left)?.byteLength ?? 0);
      const last = blocks.at(-1);
      if (last !== undefined && !seqAfter(left, last.right)) {
        if (seqAfter(right, last.right)) last.right = right;
        continue;
      }
      if (blocks.length === SACK_MAX_BLOCKS) break;
      blocks.push({ left, right });
    }
    return blocks;
  }

  /** Forgets the out-of-order buffer (the receive side closed). */
  clear(): void {
    this.#buffer.clear();
  }
}
