/**
 * A bounded map whose entries expire after a time without being refreshed. Insertion order doubles as
 * age order (a refresh moves the entry to the end), so expiry and eviction look only at the front:
 * both are O(1) per entry removed. Time is an argument, so tests need no sleeping.
 * The clock passed in must not run backwards. Not safe for concurrent use (none exists in one isolate).
 *
 * @module
 */

/** Options of {@linkcode ExpiringTable}. */
export interface ExpiringTableOptions {
  /** An entry not refreshed for this many milliseconds is gone. */
  ttlMs: number;
  /** Past this many entries the least recently refreshed is evicted. */
  maxEntries: number;
}

interface Slot<V> {
  value: V;
  seenAt: number;
}

/** A map with expiry and a size bound. */
export class ExpiringTable<K, V> {
  readonly ttlMs: number;
  readonly maxEntries: number;
  #slots = new Map<K, Slot<V>>();
  #expired = 0;
  #evicted = 0;

  constructor(options: ExpiringTableOptions) {
    if (!(options.ttlMs > 0)) throw new Error(`ttlMs must be positive, got ${options.ttlMs}`);
    if (!(Number.isInteger(options.maxEntries) && options.maxEntries > 0)) {
      throw new Error(`maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
  }

  /** Entries held (some may be expired until the next {@linkcode ExpiringTable.sweep}). */
  get size(): number {
    return this.#slots.size;
  }

  /** Entries removed because they expired. */
  get expired(): number {
    return this.#expired;
  }

  /** Entries removed to stay within the bound. */
  get evicted(): number {
    return this.#evicted;
  }

  /** Inserts or refreshes `key`. */
  set(key: K, value: V, now: number): void {
    this.#slots.delete(key);
    this.#slots.set(key, { value, seenAt: now });
    while (this.#slots.size > this.maxEntries) {
      const oldest = this.#slots.keys().next();
      if (oldest.done) break;
      this.#slots.delete(oldest.value);
      this.#evicted++;
    }
  }

  /** The live value of `key`, or undefined (an expired entry is removed on the way). */
  get(key: K, now: number): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (now - slot.seenAt >= this.ttlMs) {
      this.#slots.delete(key);
      this.#expired++;
      return undefined;
    }
    return slot.value;
  }

  /** True when `key` has a live entry. */
  has(key: K, now: number): boolean {
    return this.get(key, now) !== undefined;
  }

  /** Removes `key`. */
  delete(key: K): boolean {
    return this.#slots.delete(key);
  }

  /** Removes every entry for which `test` is true. */
  deleteWhere(test: (value: V, key: K) => boolean): number {
    let removed = 0;
    for (const [key, slot] of this.#slots) {
      if (test(slot.value, key)) {
        this.#slots.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Drops expired entries from the front; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, slot] of this.#slots) {
      if (now - slot.seenAt < this.ttlMs) break;
      this.#slots.delete(key);
      removed++;
    }
    this.#expired += removed;
    return removed;
  }

  /** Live keys, oldest first. */
  *keys(now: number): IterableIterator<K> {
    for (const [key, slot] of this.#slots) if (now - slot.seenAt < this.ttlMs) yield key;
  }
}
