/**
 * A first-in first-out counting semaphore bounding the tunnel's sends in flight. FIFO matters: a send
 * that waited must not be overtaken by a later one, or a peer's counters would leave out of call order.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** The send slots. */
export class SendWindow {
  #free: number;
  #waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  #closed = false;

  constructor(size: number) {
    this.#free = Math.max(1, size);
  }

  /** Takes a slot now when one is free and nobody waits. */
  tryAcquire(): boolean {
    if (this.#closed || this.#free === 0 || this.#waiters.length > 0) return false;
    this.#free--;
    return true;
  }

  /** Waits for a slot, in call order. @throws {PilotError} `tunnel_closed` once closed. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (this.#closed) return Promise.reject(new PilotError("tunnel_closed", "tunnel is closed"));
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Returns a slot; the longest waiter gets it. */
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next.resolve();
    else this.#free++;
  }

  /** Refuses every waiter and future acquire. */
  close(): void {
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(new PilotError("tunnel_closed", "tunnel is closed"));
  }
}
