/**
 * Remembers handshake messages already acted upon (control.md §7.3 step 3), keyed by the SHA-256 of the
 * message as re-encoded, so a captured message cannot be played back while its timestamp is still fresh.
 *
 * Bounded: entries expire once the timestamp window would refuse the message anyway (and never before the
 * spec's 10 minutes), a full sweep runs every 5 minutes of the injected clock, and past `maxEntries` the
 * oldest entry is evicted. Time is an argument; no timers. Not safe for concurrent use from workers.
 *
 * @module
 */

import { createHash } from "node:crypto";
import {
  MAX_MESSAGE_AGE_MS,
  MAX_REPLAY_ENTRIES,
  REPLAY_PRUNE_INTERVAL_MS,
  REPLAY_RETENTION_MS,
} from "./constants.ts";

/** Options of {@linkcode ReplayCache}. */
export interface ReplayCacheOptions {
  /** Defaults to {@linkcode MAX_REPLAY_ENTRIES}. */
  maxEntries?: number;
}

/** SHA-256 of `bytes`, hex: the replay key of one encoded message. */
export function replayKey(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The set of recently seen message hashes.
 *
 * @example
 * ```ts
 * import { ReplayCache } from "./replay_cache.ts";
 * const cache = new ReplayCache();
 * const now = 1_000_000;
 * if (!cache.add("k", 1_000, now)) throw new Error("first sighting is new");
 * if (cache.add("k", 1_000, now + 1)) throw new Error("second sighting is a replay");
 * ```
 */
export class ReplayCache {
  readonly #maxEntries: number;
  /** key → expiry (ms); Map order is insertion order, which is what eviction uses. */
  readonly #entries = new Map<string, number>();
  #lastSweep = Number.NEGATIVE_INFINITY;

  constructor(options: ReplayCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? MAX_REPLAY_ENTRIES);
  }

  /** Entries currently held. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `key` was added and has not expired at `nowMs`. */
  has(key: string, nowMs: number): boolean {
    const expiry = this.#entries.get(key);
    return expiry !== undefined && expiry > nowMs;
  }

  /**
   * Records `key` for a message stamped `timestampSec`; false (and nothing changes) when it is already
   * there, i.e. the message is a replay.
   */
  add(key: string, timestampSec: number, nowMs: number): boolean {
    this.#prune(nowMs);
    if (this.has(key, nowMs)) return false;
    this.#entries.delete(key); // an expired leftover: re-insert at the young end
    const expiry = Math.max(nowMs + REPLAY_RETENTION_MS, timestampSec * 1000 + MAX_MESSAGE_AGE_MS + 1000);
    this.#entries.set(key, expiry);
    // Bounded: at most one eviction per insert, since the cache never exceeds its limit by more than one.
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    return true;
  }

  #prune(nowMs: number): void {
    if (nowMs - this.#lastSweep < REPLAY_PRUNE_INTERVAL_MS) return;
    this.#lastSweep = nowMs;
    for (const [key, expiry] of this.#entries) {
      if (expiry <= nowMs) this.#entries.delete(key);
    }
  }
}
