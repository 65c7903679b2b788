/**
 * A bounded queue of received datagrams as an async iterable (services.md §10; network.md §6.1).
 * Datagrams are unreliable, so a full queue drops the oldest one and counts it rather than growing or
 * slowing the stack down.
 *
 * @module
 */

import type { Datagram } from "../transport/datagram.ts";

/** Options of {@linkcode DatagramReceiver}. */
export interface DatagramReceiverOptions {
  /** Only datagrams to this destination port; all when omitted. */
  port?: number;
  /** Datagrams held for a slow reader; default 1024. */
  capacity?: number;
}

/** Received datagrams until `close()`; leaving a `for await` loop closes it. */
export class DatagramReceiver implements AsyncIterable<Datagram>, Disposable {
  #queue: Datagram[] = [];
  #capacity: number;
  #port: number | undefined;
  #wake: (() => void) | undefined;
  #stop: () => void;
  #closed = false;
  #dropped = 0;

  /** `subscribe` registers the push function and returns the unsubscribe function. */
  constructor(subscribe: (push: (d: Datagram) => void) => () => void, options: DatagramReceiverOptions = {}) {
    this.#capacity = Math.max(1, options.capacity ?? 1024);
    this.#port = options.port;
    this.#stop = subscribe((d) => this.#push(d));
  }

  /** Datagrams dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The next datagram, or `undefined` once closed. */
  async receive(): Promise<Datagram | undefined> {
    for (;;) {
      const next = this.#queue.shift();
      if (next !== undefined) return next;
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  /** Stops receiving; a pending `receive()` resolves `undefined`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop();
    this.#queue = [];
    this.#signal();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<Datagram> {
    try {
      for (let d = await this.receive(); d !== undefined; d = await this.receive()) yield d;
    } finally {
      this.close();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #push(datagram: Datagram): void {
    if (this.#closed || (this.#port !== undefined && datagram.dstPort !== this.#port)) return;
    if (this.#queue.length >= this.#capacity) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push(datagram);
    this.#signal();
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
