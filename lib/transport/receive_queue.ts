/**
 * The receive queue of one connection (`spec/network.md` §5.8): in-order segments delivered but not yet
 * consumed by the application, one slot each, 512 slots. The advertised window is the number of free
 * slots, except that a full queue advertises 1 instead of 0 (Q2 interop note: a reference sender reads 0
 * as "no limit"). Slots are freed when the application reports consumed bytes, not when it takes the
 * chunks, so a driver can hand chunks to a stream and free slots as its reader drains it.
 *
 * Q18: a full queue never blocks anything: the connection simply stops taking segments into it (they
 * are dropped unacknowledged), so other connections keep flowing.
 *
 * @module
 */

import { RECEIVE_QUEUE_SEGMENTS } from "./constants.ts";

/** Delivered-but-unconsumed segments, counted in slots. Not safe for shared use. */
export class ReceiveQueue {
  readonly capacitySlots: number;
  #ready: Uint8Array[] = [];
  /** Sizes of segments taken but not fully consumed, oldest first; the first may be partly consumed. */
  #taken: number[] = [];
  #takenHeadConsumed = 0;

  constructor(capacitySlots: number = RECEIVE_QUEUE_SEGMENTS) {
    this.capacitySlots = capacitySlots;
  }

  /** Slots held: segments not yet taken plus segments taken but not fully consumed. */
  get usedSlots(): number {
    return this.#ready.length + this.#taken.length;
  }

  /** Free slots (0..capacity). */
  get freeSlots(): number {
    return Math.max(0, this.capacitySlots - this.usedSlots);
  }

  /** The window field to send: free slots, but never 0 (Q2). */
  get advertisedWindow(): number {
    return Math.max(1, this.freeSlots);
  }

  /** Bytes delivered and not yet taken. */
  get readyBytes(): number {
    return this.#ready.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  }

  /** True when chunks wait to be taken. */
  get hasReady(): boolean {
    return this.#ready.length > 0;
  }

  /** Stores one segment if a slot is free. Empty segments take no slot. */
  push(bytes: Uint8Array): boolean {
    if (bytes.byteLength === 0) return true;
    if (this.freeSlots === 0) return false;
    this.#ready.push(bytes);
    return true;
  }

  /** Hands over every delivered chunk; their slots stay held until `consume` covers them. */
  take(): Uint8Array[] {
    const out = this.#ready;
    this.#ready = [];
    for (const chunk of out) this.#taken.push(chunk.byteLength);
    return out;
  }

  /** Reports `bytes` consumed from taken chunks, in order. Returns the slots freed. */
  consume(bytes: number): number {
    let left = Math.max(0, Math.floor(bytes));
    let freed = 0;
    while (left > 0 && this.#taken.length > 0) {
      const remaining = this.#taken[0] - this.#takenHeadConsumed;
      if (left < remaining) {
        this.#takenHeadConsumed += left;
        return freed;
      }
      left -= remaining;
      this.#taken.shift();
      this.#takenHeadConsumed = 0;
      freed++;
    }
    return freed;
  }

  /** Frees every slot and drops what was not taken (the application will read no more). */
  clear(): void {
    this.#ready = [];
    this.#taken = [];
    this.#takenHeadConsumed = 0;
  }
}
