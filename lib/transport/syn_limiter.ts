/**
 * SYN admission rate limits (`spec/network.md` §5.5.1): a global token bucket and one bucket per source
 * node ID, refilled in whole tokens. Both are pure: the caller passes the time. The global token is
 * consumed before the per-source check, as in the reference.
 *
 * Stale per-source entries (last refill older than 10 s) are dropped when the table is full and a new
 * source arrives, and by `reap(now)`, which a driver may call on any schedule; the reference reaps in
 * its 15 s sweep. Either way the table never exceeds 4096 entries.
 *
 * @module
 */

import {
  SYN_RATE_GLOBAL_PER_SECOND,
  SYN_RATE_PER_SOURCE_PER_SECOND,
  SYN_SOURCE_IDLE_MS,
  SYN_SOURCE_TABLE_ENTRIES,
} from "./constants.ts";

/**
 * A token bucket refilled at `capacity` tokens per second, in whole tokens: the refill time stamp moves
 * only when at least one token was added, so fractions are never lost (§5.5.1).
 */
export class TokenBucket {
  readonly capacity: number;
  #tokens: number;
  #lastRefillMs: number;

  /** A full bucket as of `nowMs`. */
  constructor(capacity: number, nowMs: number) {
    this.capacity = capacity;
    this.#tokens = capacity;
    this.#lastRefillMs = nowMs;
  }

  /** Tokens available (after the last refill). */
  get tokens(): number {
    return this.#tokens;
  }

  /** When tokens were last added. */
  get lastRefillMs(): number {
    return this.#lastRefillMs;
  }

  /** Refills, then takes one token if there is one. */
  take(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }

  #refill(nowMs: number): void {
    const elapsedMs = nowMs - this.#lastRefillMs;
    if (elapsedMs <= 0) return;
    const added = Math.floor((this.capacity * elapsedMs) / 1000);
    if (added < 1) return;
    this.#tokens = Math.min(this.capacity, this.#tokens + added);
    this.#lastRefillMs = nowMs;
  }
}

/** Why a SYN was not admitted. */
export type SynVerdict = "admit" | "global-limit" | "source-limit";

/** Options of {@linkcode SynLimiter}. */
export interface SynLimiterOptions {
  /** Global bucket capacity and refill per second (`-syn-rate-limit`, default 100). */
  globalPerSecond?: number;
  /** Per-source capacity and refill per second (fixed 10 in the reference). */
  perSourcePerSecond?: number;
  /** Most sources tracked (4096). */
  maxSources?: number;
  /** Idle time after which a source entry may be dropped (10 s). */
  sourceIdleMs?: number;
}

/** The global and per-source SYN buckets of one daemon. */
export class SynLimiter {
  #global: TokenBucket;
  #sources = new Map<number, TokenBucket>();
  readonly #perSource: number;
  readonly #maxSources: number;
  readonly #idleMs: number;

  constructor(nowMs: number, options: SynLimiterOptions = {}) {
    this.#global = new TokenBucket(options.globalPerSecond ?? SYN_RATE_GLOBAL_PER_SECOND, nowMs);
    this.#perSource = options.perSourcePerSecond ?? SYN_RATE_PER_SOURCE_PER_SECOND;
    this.#maxSources = options.maxSources ?? SYN_SOURCE_TABLE_ENTRIES;
    this.#idleMs = options.sourceIdleMs ?? SYN_SOURCE_IDLE_MS;
  }

  /** Sources currently tracked. */
  get sourceCount(): number {
    return this.#sources.size;
  }

  /** Decides one SYN from node `sourceNode` (§5.5 steps 3–4). */
  admit(sourceNode: number, nowMs: number): SynVerdict {
    if (!this.#global.take(nowMs)) return "global-limit";
    let bucket = this.#sources.get(sourceNode);
    if (bucket === undefined) {
      if (this.#sources.size >= this.#maxSources) this.reap(nowMs);
      // A new source when the table is full is dropped (§5.5.1).
      if (this.#sources.size >= this.#maxSources) return "source-limit";
      bucket = new TokenBucket(this.#perSource, nowMs); // starts full; this SYN leaves 9
      this.#sources.set(sourceNode, bucket);
    }
    return bucket.take(nowMs) ? "admit" : "source-limit";
  }

  /** Drops source entries whose last refill is older than the idle time. */
  reap(nowMs: number): void {
    for (const [node, bucket] of this.#sources) {
      if (nowMs - bucket.lastRefillMs > this.#idleMs) this.#sources.delete(node);
    }
  }
}
