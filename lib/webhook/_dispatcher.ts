/**
 * One webhook URL's queue and its single worker (control.md §10.8). The client owns one per URL; a
 * replaced or closed dispatcher stops taking events, drains, and is aborted if its drain outlives the
 * caller's deadline. Not shared outside lib/webhook.
 *
 * @module
 */

import { errorText } from "../errors.ts";
import type { Logger } from "../log.ts";

/** Counters shared by every dispatcher of one client, so they survive URL swaps. */
export interface DispatchCounters {
  delivered: number;
  rejected: number;
  failed: number;
  droppedAtClose: number;
}

/** Options of {@linkcode Dispatcher}. */
export interface DispatcherOptions {
  url: string;
  capacity: number;
  timeoutMs: number;
  userAgent: string;
  fetch: typeof fetch;
  logger: Logger;
  counters: DispatchCounters;
}

interface QueuedEvent {
  readonly event: string;
  readonly body: string;
}

/** A bounded FIFO of encoded bodies and the worker that POSTs them one at a time. */
export class Dispatcher {
  readonly url: string;
  readonly #options: DispatcherOptions;
  // Head index instead of shift(): dequeuing stays O(1) however full the queue is.
  #queue: QueuedEvent[] = [];
  #head = 0;
  #inFlight = false;
  #stopping = false;
  #wake: (() => void) | undefined;
  readonly #abort = new AbortController();
  readonly #done: Promise<void>;

  constructor(options: DispatcherOptions) {
    this.url = options.url;
    this.#options = options;
    this.#done = this.#run();
  }

  /** Events waiting, plus the one being posted; 0 once aborted (those count as dropped). */
  get pending(): number {
    if (this.#abort.signal.aborted) return 0;
    return this.#queue.length - this.#head + (this.#inFlight ? 1 : 0);
  }

  /** Resolves once the worker has ended (queue drained after {@linkcode stop}, or aborted). */
  get done(): Promise<void> {
    return this.#done;
  }

  /** Queues a body; false when the queue is full or the dispatcher is stopping. */
  offer(event: string, body: string): boolean {
    if (this.#stopping || this.#queue.length - this.#head >= this.#options.capacity) return false;
    this.#queue.push({ event, body });
    this.#wakeWorker();
    return true;
  }

  /** Takes no more events; the worker ends when the queue is empty. */
  stop(): void {
    this.#stopping = true;
    this.#wakeWorker();
  }

  /** Gives up: cancels the POST in flight and counts it and every queued event as dropped. */
  abort(): void {
    this.stop();
    if (this.#abort.signal.aborted) return;
    const left = this.pending;
    this.#options.counters.droppedAtClose += left;
    this.#queue = [];
    this.#head = 0;
    this.#abort.abort();
    if (left > 0) {
      this.#options.logger.warn("webhook drain deadline passed, events dropped", { dropped: left });
    }
  }

  #wakeWorker(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#abort.signal.aborted) {
      if (this.#head === this.#queue.length) {
        if (this.#queue.length > 0) { // reuse the array once drained instead of growing it forever
          this.#queue = [];
          this.#head = 0;
        }
        if (this.#stopping) return;
        await new Promise<void>((resolve) => this.#wake = resolve);
        continue;
      }
      const item = this.#queue[this.#head];
      this.#head += 1;
      // A queue that never empties would otherwise keep every posted body behind the head.
      if (this.#head >= this.#options.capacity) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (item === undefined) continue;
      this.#inFlight = true;
      try {
        await this.#post(item);
      } finally {
        this.#inFlight = false;
      }
    }
  }

  /** One POST, no retry; every outcome is counted and nothing escapes. */
  async #post(item: QueuedEvent): Promise<void> {
    const { counters, logger, timeoutMs } = this.#options;
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.#abort.signal]);
    try {
      const response = await this.#options.fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": this.#options.userAgent },
        body: item.body,
        signal,
      });
      // The answer's body is never used; cancelling frees the connection without reading it.
      await response.body?.cancel();
      if (response.status >= 400) {
        counters.rejected += 1;
        logger.warn("webhook rejected", { event: item.event, status: response.status });
      } else {
        counters.delivered += 1;
      }
    } catch (err) {
      // abort() has already counted this one as dropped.
      if (this.#abort.signal.aborted) return;
      counters.failed += 1;
      const timedOut = signal.aborted;
      logger.warn(timedOut ? "webhook post timed out" : "webhook post failed", {
        event: item.event,
        timeout_ms: timedOut ? timeoutMs : undefined,
        error: timedOut ? undefined : errorText(err),
      });
    }
  }
}
