/**
 * The stack's outgoing packets on their way to the packet sink (the tunnel): at most `maxInFlight`
 * sink calls outstanding, later packets held in FIFO order, so packets leave in the order the
 * connection table produced them. Past `mark` held packets, writers are asked to wait (`room()`), which
 * carries the socket's backpressure up to the application. A failed send is counted and logged, and
 * reported only to a caller that asked (`done`): the stream retransmits and datagrams are unreliable.
 *
 * @module
 */

import type { Logger } from "../log.ts";

/** Where encoded packets go: the daemon's `tunnel.send`. */
export type PacketSink = (nodeId: number, bytes: Uint8Array) => Promise<void>;

interface QueuedSend {
  node: number;
  bytes: Uint8Array;
  done: ((error: unknown) => void) | undefined;
}

/** Bounded, ordered sends into a {@linkcode PacketSink}. Not safe for shared use. */
export class OutgoingQueue {
  #sink: PacketSink;
  #log: Logger;
  #maxInFlight: number;
  #mark: number;
  #queue: QueuedSend[] = [];
  #head = 0;
  #inFlight = 0;
  #failures = 0;
  #roomWaiters: (() => void)[] = [];
  #settleWaiters: (() => void)[] = [];
  #closed = false;

  constructor(sink: PacketSink, log: Logger, maxInFlight: number, mark: number) {
    this.#sink = sink;
    this.#log = log;
    this.#maxInFlight = Math.max(1, maxInFlight);
    this.#mark = Math.max(1, mark);
  }

  /** Sink calls outstanding plus packets held behind them. */
  get pending(): number {
    return this.#inFlight + this.#queue.length - this.#head;
  }

  /** Sink calls that failed so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Sends `bytes` to `node` in order; `done` learns the outcome (`undefined` on success). */
  push(node: number, bytes: Uint8Array, done?: (error: unknown) => void): void {
    if (this.#inFlight < this.#maxInFlight && this.#head === this.#queue.length) {
      this.#start(node, bytes, done);
    } else this.#queue.push({ node, bytes, done });
  }

  /** `undefined` when writers may go on, else a promise that resolves once the backlog has halved. */
  room(): Promise<void> | undefined {
    if (this.#closed || this.#queue.length - this.#head < this.#mark) return undefined;
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Waits (bounded) until every send has settled, then releases all waiting writers. */
  async close(): Promise<void> {
    this.#closed = true;
    for (let round = 0; round < 1000 && this.pending > 0; round++) {
      await new Promise<void>((resolve) => this.#settleWaiters.push(resolve));
    }
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  #start(node: number, bytes: Uint8Array, done: QueuedSend["done"]): void {
    this.#inFlight++;
    let sending: Promise<void>;
    try {
      sending = this.#sink(node, bytes);
    } catch (err) {
      sending = Promise.reject(err);
    }
    sending.then(() => this.#settled(undefined, done), (error) => this.#settled(error, done));
  }

  #settled(error: unknown, done: QueuedSend["done"]): void {
    this.#inFlight--;
    if (error !== undefined) {
      this.#failures++;
      this.#log.debug("packet send failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    done?.(error);
    while (this.#inFlight < this.#maxInFlight && this.#head < this.#queue.length) {
      const next = this.#queue[this.#head++];
      this.#start(next.node, next.bytes, next.done);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#queue = this.#queue.slice(this.#head); // keeps the array from growing without bound
      this.#head = 0;
    }
    if (this.#roomWaiters.length > 0 && this.#queue.length - this.#head <= this.#mark / 2) {
      for (const wake of this.#roomWaiters.splice(0)) wake();
    }
    if (this.#settleWaiters.length > 0) { for (const wake of this.#settleWaiters.splice(0)) wake(); }
  }
}
