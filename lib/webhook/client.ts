/**
 * The daemon's webhook client (control.md §10.8): `emit` encodes the event at once (node id and time
 * of the emit) and queues it; one worker per URL POSTs the bodies in order, each under its own
 * timeout, with no retry. A full queue drops the event with a rate-limited warning.
 *
 * Deviations from the reference, both bounded where it is not: a replaced URL's queue drains in the
 * background for at most `drainTimeoutMs`, and `close()` drains everything within one total
 * `drainTimeoutMs` (the reference may take up to 5 s per queued event); what is left is counted in
 * `droppedAtClose`. The `User-Agent` is the reference's (`Go-http-client/1.1`) so receivers that
 * filter on it see the same request.
 *
 * @module
 */

import { errorText } from "../errors.ts";
import { NULL_LOGGER } from "../log.ts";
import type { Logger } from "../log.ts";
import { encodeWebhookBody } from "./body.ts";
import { type DispatchCounters, Dispatcher } from "./_dispatcher.ts";
import {
  isWebhookEventName,
  type WebhookData,
  type WebhookEventData,
  type WebhookEventName,
} from "./events.ts";
import { wallClockNs } from "./timestamp.ts";

/** Queue capacity of the reference (§10.8). */
export const WEBHOOK_QUEUE_CAPACITY = 1024;
/** Per-POST timeout of the reference (§10.8). */
export const WEBHOOK_TIMEOUT_MS = 5000;
/** Our bound on a drain (tunable: shutdown must not wait minutes on a dead receiver). */
export const WEBHOOK_DRAIN_TIMEOUT_MS = 5000;
/** The reference's default Go user agent (§10.8, §12.10). */
export const WEBHOOK_USER_AGENT = "Go-http-client/1.1";
/** At most one queue-full warning per this interval (tunable: a flood must not flood the log). */
const DROP_WARN_INTERVAL_MS = 10_000;

/** Options of {@linkcode WebhookClient}. */
export interface WebhookClientOptions {
  /** Where events go; `""` disables delivery (events are then ignored). */
  url: string;
  /** The daemon's node id, read at each emit. */
  nodeId: () => number;
  /** Where drops and failed POSTs are reported; default none. */
  logger?: Logger;
  /** Events waiting per URL; default 1024. */
  queueCapacity?: number;
  /** Per-POST timeout; default 5000 ms. */
  timeoutMs?: number;
  /** Bound of one drain (a replaced URL's, or the whole of `close()`); default 5000 ms. */
  drainTimeoutMs?: number;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Epoch nanoseconds; default {@linkcode wallClockNs}. */
  clock?: () => bigint;
  /** Default {@linkcode WEBHOOK_USER_AGENT}. */
  userAgent?: string;
}

/** Counters since the client was made; cumulative across URL swaps. */
export interface WebhookStats {
  /** The URL events go to now; `""` when disabled. */
  readonly url: string;
  /** Events queued or in flight, over the current and any draining URL. */
  readonly pending: number;
  /** Events accepted into a queue. */
  readonly queued: number;
  /** POSTs answered with a status below 400. */
  readonly delivered: number;
  /** POSTs answered with a status of 400 or more. */
  readonly rejected: number;
  /** POSTs that failed to connect or timed out. */
  readonly failed: number;
  /** Events dropped because the queue was full. */
  readonly droppedFull: number;
  /** Events given up on when a drain ran past its deadline (including one in flight). */
  readonly droppedAtClose: number;
  /** Events that could not be encoded (bad node id or data); logged, never sent. */
  readonly encodeErrors: number;
}

/**
 * Posts daemon events to a webhook URL. `emit` never blocks and never throws.
 *
 * @example
 * ```ts
 * import { WebhookClient } from "./client.ts";
 * await using hooks = new WebhookClient({ url: "", nodeId: () => 1 });
 * hooks.emit("node.deregistered"); // disabled: ignored
 * if (hooks.stats().queued !== 0) throw new Error("nothing queued without a URL");
 * ```
 */
export class WebhookClient implements AsyncDisposable {
  readonly #options: WebhookClientOptions;
  readonly #logger: Logger;
  readonly #clock: () => bigint;
  readonly #counters: DispatchCounters = { delivered: 0, rejected: 0, failed: 0, droppedAtClose: 0 };
  #current: Dispatcher | undefined;
  readonly #draining = new Set<Dispatcher>();
  #queued = 0;
  #droppedFull = 0;
  #encodeErrors = 0;
  #lastDropWarnAt = -Infinity;
  #dropsSinceWarn = 0;
  #closing: Promise<void> | undefined;

  /** Starts the worker for `options.url` at once (none when it is empty). */
  constructor(options: WebhookClientOptions) {
    this.#options = options;
    this.#logger = options.logger ?? NULL_LOGGER;
    this.#clock = options.clock ?? wallClockNs;
    this.#current = this.#open(options.url);
  }

  /** The URL events go to now; `""` when disabled. */
  get url(): string {
    return this.#current?.url ?? "";
  }

  /**
   * Queues an event for the current URL. Ignored when disabled or closed; dropped (counted, warned at
   * most every 10 s) when the queue is full.
   */
  emit<N extends WebhookEventName>(event: N, data?: WebhookEventData[N]): void {
    this.#queue(event, toWebhookData(data));
  }

  /**
   * The same for an event named at run time (the daemon's parts report §8/§10.8 events by name):
   * a name outside the webhook table is ignored.
   */
  emitNamed(event: string, data?: WebhookData): void {
    if (isWebhookEventName(event)) this.#queue(event, data);
  }

  #queue(event: WebhookEventName, data: WebhookData | undefined): void {
    const dispatcher = this.#current;
    if (dispatcher === undefined) return;
    let body: string;
    try {
      body = encodeWebhookBody(event, this.#options.nodeId(), this.#clock(), data);
    } catch (err) {
      this.#encodeErrors += 1;
      this.#logger.warn("webhook event not encodable", { event, error: errorText(err) });
      return;
    }
    if (dispatcher.offer(event, body)) {
      this.#queued += 1;
      return;
    }
    this.#droppedFull += 1;
    this.#dropsSinceWarn += 1;
    const now = performance.now();
    if (now - this.#lastDropWarnAt >= DROP_WARN_INTERVAL_MS) {
      this.#logger.warn("webhook queue full, event dropped", {
        event,
        dropped: this.#dropsSinceWarn,
        dropped_total: this.#droppedFull,
      });
      this.#lastDropWarnAt = now;
      this.#dropsSinceWarn = 0;
    }
  }

  /**
   * Hot swap (IPC SetWebhook): later events go to a new queue for `url`; the old queue drains in the
   * background within `drainTimeoutMs`. `""` disables. The same URL again changes nothing.
   */
  setUrl(url: string): void {
    if (this.#closing !== undefined || url === this.url) return;
    const old = this.#current;
    this.#current = this.#open(url);
    if (old !== undefined) void this.#drain([old]);
  }

  /**
   * Stops taking events and drains every queue within `drainTimeoutMs` in total, then gives up on the
   * rest (counted in `droppedAtClose`). Idempotent; a second call waits for the first.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      const all = [...this.#draining];
      if (this.#current !== undefined) all.push(this.#current);
      this.#current = undefined;
      this.#closing = this.#drain(all);
    }
    return this.#closing;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A snapshot of the counters. */
  stats(): WebhookStats {
    let pending = this.#current?.pending ?? 0;
    for (const dispatcher of this.#draining) pending += dispatcher.pending;
    return {
      url: this.url,
      pending,
      queued: this.#queued,
      ...this.#counters,
      droppedFull: this.#droppedFull,
      encodeErrors: this.#encodeErrors,
    };
  }

  #open(url: string): Dispatcher | undefined {
    if (url === "") return undefined;
    return new Dispatcher({
      url,
      capacity: this.#options.queueCapacity ?? WEBHOOK_QUEUE_CAPACITY,
      timeoutMs: this.#options.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      userAgent: this.#options.userAgent ?? WEBHOOK_USER_AGENT,
      fetch: this.#options.fetch ?? fetch,
      logger: this.#logger,
      counters: this.#counters,
    });
  }

  /** Drains `dispatchers` under one deadline; each leaves `#draining` when its worker ends. */
  async #drain(dispatchers: readonly Dispatcher[]): Promise<void> {
    for (const dispatcher of dispatchers) {
      this.#draining.add(dispatcher);
      dispatcher.stop();
    }
    const all = Promise.all(dispatchers.map((d) => d.done));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      timer = setTimeout(() => resolve("expired"), this.#options.drainTimeoutMs ?? WEBHOOK_DRAIN_TIMEOUT_MS);
    });
    try {
      if (await Promise.race([all, expired]) === "expired") {
        for (const dispatcher of dispatchers) dispatcher.abort();
        await all; // prompt: aborting cancels the POST in flight
      }
    } finally {
      clearTimeout(timer);
      for (const dispatcher of dispatchers) this.#draining.delete(dispatcher);
    }
  }
}

/** The event types are object types of wire values; this narrows them for the encoder. */
function toWebhookData(data: WebhookEventData[WebhookEventName] | undefined): WebhookData | undefined {
  return data;
}
