/**
 * The receiving direction of one connection (`spec/network.md` §5.8, §5.9): reassembly into the
 * receive queue, the advertised window, the ACK policy (immediate with SACK while data is out of order,
 * otherwise every 2nd segment or after DELAYED_ACK_WAIT_MS, 2 ms where the reference waits 40) and
 * window updates once a full queue drains (Q2).
 *
 * @module
 */

import { encodeSack } from "../protocol/mod.ts";
import {
  DELAYED_ACK_SEGMENTS,
  DELAYED_ACK_WAIT_MS,
  WINDOW_UNIT_BYTES,
  WINDOW_UPDATE_THRESHOLD_SEGMENTS,
} from "./constants.ts";
import { Reassembly } from "./reassembly.ts";
import { ReceiveQueue } from "./receive_queue.ts";

/** Where a receiver's decisions go. */
export interface ReceiverHooks {
  /** Send an ACK now; `payload` is a SACK option or empty. */
  ack(payload: Uint8Array): void;
  /** New in-order data waits to be taken. */
  readable(): void;
}

const EMPTY = new Uint8Array(0);

/** The receive half of a connection. Not safe for shared use. */
export class StreamReceiver {
  #hooks: ReceiverHooks;
  #queue: ReceiveQueue;
  #reassembly: Reassembly | undefined;
  #discarding = false;
  #unackedSegments = 0;
  #delayedAckDeadline: number | undefined;
  #windowUpdatePending = false;

  constructor(queueSlots: number, hooks: ReceiverHooks) {
    this.#queue = new ReceiveQueue(queueSlots);
    this.#hooks = hooks;
  }

  /** Starts sequence tracking once the peer's ISN is known (SYN or SYN|ACK). */
  start(expected: number): void {
    // Ahead-bound of the out-of-order buffer: the whole receive window, never reached by honest senders.
    this.#reassembly = new Reassembly(expected, {
      maxAheadBytes: this.#queue.capacitySlots * WINDOW_UNIT_BYTES,
    });
  }

  /** The ack number to send: next in-order sequence number (0 before `start`). */
  get expected(): number {
    return this.#reassembly?.expected ?? 0;
  }

  /** The window field to send (free slots, at least 1: Q2). */
  get window(): number {
    return this.#queue.advertisedWindow;
  }

  /** Free receive-queue slots. */
  get freeSlots(): number {
    return this.#queue.freeSlots;
  }

  /** True when delivered chunks wait to be taken. */
  get hasReady(): boolean {
    return this.#queue.hasReady;
  }

  /** When a delayed ACK is due, if one is pending. */
  get delayedAckDeadline(): number | undefined {
    return this.#delayedAckDeadline;
  }

  /** Handles a data segment (§5.9) and applies the ACK policy. */
  onData(seq: number, payload: Uint8Array, nowMs: number): void {
    const reassembly = this.#reassembly;
    if (reassembly === undefined) return;
    const hadHoles = reassembly.outOfOrderCount > 0;
    const outcome = reassembly.receive(seq, payload, this.#sink);
    if (outcome === "refused") {
      // Q2: no room. Not acknowledged, so the peer retransmits it; a window update follows later.
      this.#windowUpdatePending = true;
      return;
    }
    if (outcome === "delivered" && this.#queue.hasReady) this.#hooks.readable();
    // While data is out of order, and on the segment that ends it, the ACK goes at once (§5.9; the
    // second case is ours: the reference waits, but the sender recovers sooner when told now).
    if (reassembly.outOfOrderCount > 0 || hadHoles) {
      this.ackNow();
      return;
    }
    this.#unackedSegments++;
    if (this.#unackedSegments >= DELAYED_ACK_SEGMENTS) this.ackNow();
    else this.#delayedAckDeadline ??= nowMs + DELAYED_ACK_WAIT_MS;
  }

  /** Out-of-order segments buffered (read-only, for connection listings). */
  get outOfOrderCount(): number {
    return this.#reassembly?.outOfOrderCount ?? 0;
  }

  /** Hands over the delivered chunks; slots stay held until `consumed` covers them. */
  take(): Uint8Array[] {
    return this.#queue.take();
  }

  /** Frees the slots of `bytes` consumed bytes; drains buffered segments and sends a window update. */
  consumed(bytes: number): void {
    if (this.#queue.consume(bytes) === 0 || this.#reassembly === undefined) return;
    const before = this.#reassembly.expected;
    this.#reassembly.drain(this.#sink);
    if (this.#reassembly.expected !== before) {
      if (this.#queue.hasReady) this.#hooks.readable();
      this.ackNow();
    } else if (this.#windowUpdatePending && this.#queue.freeSlots > WINDOW_UPDATE_THRESHOLD_SEGMENTS) {
      this.ackNow();
    }
  }

  /** The application will read no more: data is still acknowledged, then dropped (after a local close). */
  discardFromNowOn(): void {
    this.#discarding = true;
    this.#queue.clear();
  }

  /** Sends an ACK (with SACK while data is out of order) and settles any pending delayed ACK. */
  ackNow(): void {
    const blocks = this.#reassembly?.sackBlocks() ?? [];
    if (this.#queue.freeSlots <= WINDOW_UPDATE_THRESHOLD_SEGMENTS) this.#windowUpdatePending = true;
    else this.#windowUpdatePending = false;
    this.#hooks.ack(blocks.length > 0 ? encodeSack(blocks) : EMPTY);
  }

  /** Call this after any packet carrying our ack number went out (§5.7: data cancels a delayed ACK). */
  ackSent(): void {
    this.#unackedSegments = 0;
    this.#delayedAckDeadline = undefined;
  }

  /** Sends the delayed ACK if it is due. */
  onTimer(nowMs: number): void {
    if (this.#delayedAckDeadline !== undefined && nowMs >= this.#delayedAckDeadline) this.ackNow();
  }

  /** Stops acknowledging: FIN or RST seen, or the connection went away. */
  stop(): void {
    this.#reassembly?.clear();
    this.#delayedAckDeadline = undefined;
    this.#unackedSegments = 0;
  }

  #sink = (bytes: Uint8Array): boolean => this.#discarding ? true : this.#queue.push(bytes);
}
