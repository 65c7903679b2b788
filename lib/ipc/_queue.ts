/**
 * A bounded FIFO with async takers, private to lib/ipc: the driver's per-connection data, per-port
 * accepts and datagrams wait here until the application asks for them.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

interface Taker<T> {
  resolve(value: T | undefined): void;
  reject(reason: unknown): void;
}

/** Items in arrival order; `take()` waits for the next one, or `undefined` once ended and drained. */
export class AsyncQueue<T> {
  #items: T[] = [];
  #takers: Taker<T>[] = [];
  #limit: number;
  #ended = false;
  #reason: unknown = undefined;

  constructor(limit: number = Number.POSITIVE_INFINITY) {
    this.#limit = limit;
  }

  /** Items waiting. */
  get size(): number {
    return this.#items.length;
  }

  /** True once {@linkcode end} ran. */
  get isEnded(): boolean {
    return this.#ended;
  }

  /** Hands `item` to the oldest taker or keeps it; `false` when full or ended (the item is dropped). */
  push(item: T): boolean {
    if (this.#ended) return false;
    const taker = this.#takers.shift();
    if (taker !== undefined) {
      taker.resolve(item);
      return true;
    }
    if (this.#items.length >= this.#limit) return false;
    this.#items.push(item);
    return true;
  }

  /** Removes and returns the items waiting, oldest first. */
  drain(): T[] {
    return this.#items.splice(0);
  }

  /**
   * No more items: once the buffered ones are taken, takers get `undefined`, or are rejected with
   * `reason` when one is given. The first call wins.
   */
  end(reason?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#reason = reason;
    for (const taker of this.#takers.splice(0)) this.#settleEnded(taker);
  }

  /** The next item; rejects with `signal.reason` when aborted first. */
  take(signal?: AbortSignal): Promise<T | undefined> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift());
    const { promise, resolve, reject } = Promise.withResolvers<T | undefined>();
    const taker: Taker<T> = { resolve, reject };
    if (this.#ended) {
      this.#settleEnded(taker);
      return promise;
    }
    if (signal !== undefined) {
      if (signal.aborted) return Promise.reject(abortReason(signal));
      const onAbort = () => {
        const at = this.#takers.indexOf(taker);
        if (at !== -1) this.#takers.splice(at, 1);
        reject(abortReason(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      taker.resolve = (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      };
      taker.reject = (reason) => {
        signal.removeEventListener("abort", onAbort);
        reject(reason);
      };
    }
    this.#takers.push(taker);
    return promise;
  }

  #settleEnded(taker: Taker<T>): void {
    if (this.#reason === undefined) taker.resolve(undefined);
    else taker.reject(this.#reason);
  }
}

/** The rejection for an aborted wait: a `timeout` PilotError for `AbortSignal.timeout`, else the reason. */
export function abortReason(signal: AbortSignal, what = "ipc request"): unknown {
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") {
    return new PilotError("timeout", `${what} timed out`, { cause: reason });
  }
  return reason;
}
