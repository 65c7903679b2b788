/**
 * Many async jobs in flight, results handed on strictly in submission order. The tunnel uses it for
 * WebCrypto seals (a peer's frames leave in counter order) and opens (packets reach the transport in
 * arrival order), because each WebCrypto call is an ~90 µs hop and only overlap makes it fast, while
 * completions may come back in any order.
 *
 * @module
 */

interface Slot<T> {
  result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
}

/** Options of {@linkcode OrderedPipeline}. */
export interface OrderedPipelineOptions<T> {
  /** Receives each successful result, in submission order. A throw is passed to `fail`. */
  deliver: (value: T) => void;
  /** Receives each failed job's error (or `deliver`'s), also in submission order. Must not throw. */
  fail: (error: unknown) => void;
}

/**
 * An in-order completion queue.
 *
 * @example
 * ```ts
 * import { OrderedPipeline } from "./ordered_pipeline.ts";
 * const seen: number[] = [];
 * const pipeline = new OrderedPipeline<number>({ deliver: (n) => seen.push(n), fail: () => {} });
 * let release = () => {};
 * pipeline.push(new Promise((resolve) => release = () => resolve(1)));
 * pipeline.push(Promise.resolve(2));
 * release();
 * await pipeline.drained();
 * if (seen.join() !== "1,2") throw new Error("in order");
 * ```
 */
export class OrderedPipeline<T> {
  #slots: Slot<T>[] = [];
  #deliver: (value: T) => void;
  #fail: (error: unknown) => void;
  #roomWaiters: { limit: number; resolve: () => void }[] = [];
  #drainWaiters: (() => void)[] = [];

  constructor(options: OrderedPipelineOptions<T>) {
    this.#deliver = options.deliver;
    this.#fail = options.fail;
  }

  /** Jobs submitted and not yet handed on. */
  get size(): number {
    return this.#slots.length;
  }

  /** Adds a job; its result is handed on after every earlier job's. */
  push(work: Promise<T>): void {
    const slot: Slot<T> = { result: undefined };
    this.#slots.push(slot);
    work.then(
      (value) => slot.result = { ok: true, value },
      (error) => slot.result = { ok: false, error },
    ).finally(() => this.#drain());
  }

  /** Resolves once fewer than `limit` jobs are pending. */
  room(limit: number): Promise<void> {
    if (this.#slots.length < limit) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push({ limit, resolve }));
  }

  /** Resolves once no job is pending. */
  drained(): Promise<void> {
    if (this.#slots.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #drain(): void {
    let handed = 0;
    // Bounded by the slots present: each turn removes one.
    while (this.#slots.length > 0) {
      const result = this.#slots[0].result;
      if (result === undefined) break;
      this.#slots.shift();
      handed++;
      if (result.ok) {
        try {
          this.#deliver(result.value);
        } catch (error) {
          this.#fail(error);
        }
      } else {
        this.#fail(result.error);
      }
    }
    if (handed === 0) return;
    if (this.#roomWaiters.length > 0) {
      const still: { limit: number; resolve: () => void }[] = [];
      for (const waiter of this.#roomWaiters) {
        if (this.#slots.length < waiter.limit) waiter.resolve();
        else still.push(waiter);
      }
      this.#roomWaiters = still;
    }
    if (this.#slots.length === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
