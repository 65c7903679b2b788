/**
 * The `register` rate limit of control.md §3.10: a token bucket per source IP, capacity 10, refilled
 * continuously at 10 per 60 s. Time is an argument, so the limiter is tested without waiting. Buckets live
 * in this process only: registries sharing a KV each limit their own connections.
 *
 * @module
 */

import {
  RATE_LIMIT_BUCKET_IDLE_MS,
  RATE_LIMIT_CAPACITY,
  RATE_LIMIT_REFILL,
  RATE_LIMIT_WINDOW_MS,
} from "./constants.ts";

/** Options of {@linkcode RateLimiter}. */
export interface RateLimiterOptions {
  capacity?: number;
  refill?: number;
  windowMs?: number;
  /** Buckets untouched this long are dropped by {@linkcode RateLimiter.prune}. */
  idleMs?: number;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Token buckets keyed by IP. Not safe to share between processes (it is plain memory). */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #capacity: number;
  readonly #perMs: number;
  readonly #idleMs: number;

  constructor(options: RateLimiterOptions = {}) {
    this.#capacity = options.capacity ?? RATE_LIMIT_CAPACITY;
    this.#perMs = (options.refill ?? RATE_LIMIT_REFILL) / (options.windowMs ?? RATE_LIMIT_WINDOW_MS);
    this.#idleMs = options.idleMs ?? RATE_LIMIT_BUCKET_IDLE_MS;
  }

  /** Takes one token for `ip` if it has one; the first request of an IP always passes. */
  tryTake(ip: string, nowMs: number): boolean {
    let bucket = this.#buckets.get(ip);
    if (bucket === undefined) {
      bucket = { tokens: this.#capacity, updatedMs: nowMs };
      this.#buckets.set(ip, bucket);
    } else {
      const elapsed = Math.max(0, nowMs - bucket.updatedMs);
      bucket.tokens = Math.min(this.#capacity, bucket.tokens + elapsed * this.#perMs);
      bucket.updatedMs = nowMs;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Drops buckets idle for longer than the idle limit; returns how many. */
  prune(nowMs: number): number {
    let removed = 0;
    for (const [ip, bucket] of this.#buckets) {
      if (nowMs - bucket.updatedMs > this.#idleMs) {
        this.#buckets.delete(ip);
        removed++;
      }
    }
    return removed;
  }

  /** Number of buckets held. */
  get size(): number {
    return this.#buckets.size;
  }
}
