/**
 * The per-daemon event broker (services.md §5.4): in memory, no persistence, replay or forwarding;
 * each publication goes at most once to each subscriber connected when it is processed, never back to
 * the connection that published it. Which subscriptions match is topic_match.ts's rule.
 *
 * Slow subscribers (deviation from the reference, which writes synchronously and lets one stalled
 * reader slow the publisher): each subscriber has a bounded {@linkcode SubscriberQueue}, and `publish`
 * only offers the encoded event to it, never waits. On a full queue the default policy `"drop"` drops
 * that event for that subscriber alone, counts it (per subscriber and in {@linkcode BrokerStats}) and
 * logs a warning at 1, 2, 4, 8, ... drops; `"disconnect"` instead removes the subscriber and calls its
 * `onOverflow` (the server closes its connection, so the client sees the stream end).
 * Order per publisher and subscriber is publish order, as in the reference.
 *
 * The broker does no I/O: server.ts runs each subscriber's queue on its connection.
 *
 * @module
 */

import { NULL_LOGGER } from "../../log.ts";
import type { Logger } from "../../log.ts";
import { formatRemote } from "../_service_types.ts";
import { decodeUtf8PerByte } from "./_text.ts";
import { encodeEvent, type PubSubEvent } from "./event.ts";
import { SubscriberQueue, type SubscriberQueueOptions } from "./subscriber_queue.ts";
import { compileTopicPattern, matchesTopicKey, topicKey, type TopicPattern } from "./topic_match.ts";

/** What a full subscriber queue does. */
export const OverflowPolicy = { drop: "drop", disconnect: "disconnect" } as const;
/** One of {@linkcode OverflowPolicy}. */
export type OverflowPolicy = typeof OverflowPolicy[keyof typeof OverflowPolicy];

/**
 * Callbacks for the daemon's webhooks (services.md §8: `pubsub.subscribed`, `pubsub.published`,
 * `pubsub.unsubscribed`). `remote`/`from` are the connection's `remoteAddr`, passed through.
 */
export interface BrokerHooks {
  onSubscribed?(info: { readonly remote: unknown; readonly topic: Uint8Array }): void;
  /** Every publication, even with no subscribers; `size` is the payload length. */
  onPublished?(info: { readonly from: unknown; readonly topic: Uint8Array; readonly size: number }): void;
  /** Only for a non-empty topic, as the reference fires `pubsub.unsubscribed`. */
  onUnsubscribed?(info: { readonly remote: unknown; readonly topic: Uint8Array }): void;
}

/** Options of {@linkcode EventBroker}. */
export interface EventBrokerOptions extends SubscriberQueueOptions {
  logger?: Logger;
  /** Default `"drop"`. */
  overflow?: OverflowPolicy;
  hooks?: BrokerHooks;
}

/** Counters since the broker was made. */
export interface BrokerStats {
  readonly subscribers: number;
  readonly published: number;
  /** Frames queued for subscribers. */
  readonly delivered: number;
  /** Frames dropped on full queues. */
  readonly dropped: number;
  /** Subscribers removed for overflow under `"disconnect"`. */
  readonly disconnected: number;
}

/** Options of {@linkcode EventBroker.subscribe}. */
export interface SubscribeOptions {
  /** The subscriber's address, for logs and hooks. */
  remote?: unknown;
  /** Called once when the subscriber is removed for overflow (policy `"disconnect"`). */
  onOverflow?: () => void;
}

/** One subscription: its topic and the queue its connection drains. */
export class Subscriber {
  readonly topic: Uint8Array;
  readonly pattern: TopicPattern;
  readonly remote: unknown;
  readonly queue: SubscriberQueue;
  readonly onOverflow: (() => void) | undefined;

  /** Made by {@linkcode EventBroker.subscribe}. */
  constructor(topic: Uint8Array, queue: SubscriberQueue, options: SubscribeOptions) {
    this.topic = topic;
    this.pattern = compileTopicPattern(topic);
    this.queue = queue;
    this.remote = options.remote;
    this.onOverflow = options.onOverflow;
  }
}

/**
 * Topic registry and fan-out.
 *
 * @example
 * ```ts
 * import { EventBroker } from "./broker.ts";
 * const bytes = (t: string) => new TextEncoder().encode(t);
 * const broker = new EventBroker();
 * const sub = broker.subscribe(bytes("status.#"));
 * broker.publish({ topic: bytes("status.cpu"), payload: bytes("90%") });
 * if (sub.queue.queuedEvents !== 1) throw new Error("delivered");
 * broker.unsubscribe(sub);
 * ```
 */
export class EventBroker {
  readonly #logger: Logger;
  readonly #policy: OverflowPolicy;
  readonly #hooks: BrokerHooks;
  readonly #queueOptions: SubscriberQueueOptions;
  // Literal subscriptions by topic key, so a publication finds them in one lookup; wildcard ones are few
  // and scanned.
  readonly #exact = new Map<string, Set<Subscriber>>();
  readonly #patterned = new Set<Subscriber>();
  #count = 0;
  #published = 0;
  #delivered = 0;
  #dropped = 0;
  #disconnected = 0;

  /** An empty broker. */
  constructor(options: EventBrokerOptions = {}) {
    this.#logger = options.logger ?? NULL_LOGGER;
    this.#policy = options.overflow ?? OverflowPolicy.drop;
    this.#hooks = options.hooks ?? {};
    this.#queueOptions = { maxEvents: options.maxEvents, maxBytes: options.maxBytes };
  }

  /** Counters; `subscribers` is the number connected now. */
  get stats(): BrokerStats {
    return {
      subscribers: this.#count,
      published: this.#published,
      delivered: this.#delivered,
      dropped: this.#dropped,
      disconnected: this.#disconnected,
    };
  }

  /** Adds a subscription to `topic` (any bytes; see topic_match.ts for wildcards). */
  subscribe(topic: Uint8Array, options: SubscribeOptions = {}): Subscriber {
    const sub = new Subscriber(topic, new SubscriberQueue(this.#queueOptions), options);
    if (sub.pattern.kind === "exact") {
      const set = this.#exact.get(sub.pattern.key) ?? new Set<Subscriber>();
      set.add(sub);
      this.#exact.set(sub.pattern.key, set);
    } else {
      this.#patterned.add(sub);
    }
    this.#count++;
    this.#hooks.onSubscribed?.({ remote: sub.remote, topic });
    return sub;
  }

  /** Removes `sub` and closes its queue. Idempotent. */
  unsubscribe(sub: Subscriber): void {
    let removed: boolean;
    if (sub.pattern.kind === "exact") {
      const set = this.#exact.get(sub.pattern.key);
      removed = set?.delete(sub) ?? false;
      if (set?.size === 0) this.#exact.delete(sub.pattern.key);
    } else {
      removed = this.#patterned.delete(sub);
    }
    sub.queue.close();
    if (!removed) return;
    this.#count--;
    if (sub.topic.byteLength > 0) this.#hooks.onUnsubscribed?.({ remote: sub.remote, topic: sub.topic });
  }

  /**
   * Offers `event` to every matching subscriber but `from` (the publishing connection's own
   * subscription); returns how many queued it. Never waits. The event is encoded once and the same
   * bytes go to every queue.
   */
  publish(event: PubSubEvent, from?: Subscriber): number {
    this.#published++;
    const key = topicKey(event.topic);
    let frame: Uint8Array | undefined;
    let queued = 0;
    const offer = (sub: Subscriber) => {
      if (sub === from) return;
      frame ??= encodeEvent(event);
      if (sub.queue.offer(frame)) {
        queued++;
      } else if (!sub.queue.isClosed) {
        this.#overflowed(sub);
      }
    };
    const exact = this.#exact.get(key);
    if (exact !== undefined) { for (const sub of exact) offer(sub); }
    // Removal during the scan (a disconnect on overflow) is safe: a Set skips deleted entries.
    for (const sub of this.#patterned) if (matchesTopicKey(sub.pattern, key)) offer(sub);
    this.#delivered += queued;
    this.#hooks.onPublished?.({ from: from?.remote, topic: event.topic, size: event.payload.byteLength });
    return queued;
  }

  #overflowed(sub: Subscriber): void {
    if (this.#policy === OverflowPolicy.disconnect) {
      this.#disconnected++;
      this.#logger.warn("eventstream subscriber too slow, disconnecting", {
        remote: formatRemote(sub.remote),
        topic: decodeUtf8PerByte(sub.topic),
      });
      this.unsubscribe(sub);
      sub.onOverflow?.();
      return;
    }
    this.#dropped++;
    const dropped = sub.queue.dropped;
    if ((dropped & (dropped - 1)) === 0) { // a power of two: the log grows with log2 of the drops
      this.#logger.warn("eventstream subscriber too slow, dropping events", {
        remote: formatRemote(sub.remote),
        topic: decodeUtf8PerByte(sub.topic),
        dropped,
      });
    }
  }
}
