/**
 * The registry's view of a peer (its Ed25519 key and networks), cached per node so that each port-444 message
 * does not cost a registry round trip. The reference trusts the key inside the message; we check it against
 * this one (see the deviations in `trust_manager.ts`).
 *
 * Invalidation: entries expire after `ttlMs` (a rotated key is picked up), {@linkcode PeerKeyCache.refresh}
 * re-fetches on a mismatch but at most once per `refreshMinMs` per node, and the daemon may drop an entry
 * with {@linkcode PeerKeyCache.invalidate} when it learns of a change. When the registry cannot be reached a
 * stale entry is still used: better than refusing every peer while the registry is away.
 *
 * @module
 */

import { MAX_PEER_KEYS, PEER_KEY_REFRESH_MIN_MS, PEER_KEY_TTL_MS } from "./constants.ts";

/** What the registry's `lookup` tells us about a node (control.md §3.7.4). */
export interface PeerRecord {
  /** Base64 Ed25519 key; `""` when the registry holds none (legacy records). */
  readonly publicKey: string;
  /** Network ids the node belongs to (`[0]` in this build). */
  readonly networks: readonly number[];
}

/** Looks a node up at the registry; rejects when it cannot (unknown node, registry down). */
export type PeerLookup = (nodeId: number) => Promise<PeerRecord>;

/** Options of {@linkcode PeerKeyCache}. */
export interface PeerKeyCacheOptions {
  /** Clock in ms; the cache never reads a global clock. */
  now: () => number;
  ttlMs?: number;
  refreshMinMs?: number;
  maxEntries?: number;
}

interface Entry {
  record: PeerRecord;
  fetchedAt: number;
}

/** Per-node cache of registry records with in-flight de-duplication. */
export class PeerKeyCache {
  readonly #lookup: PeerLookup;
  readonly #now: () => number;
  readonly #ttlMs: number;
  readonly #refreshMinMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<number, Entry>();
  readonly #inFlight = new Map<number, Promise<PeerRecord | undefined>>();

  constructor(lookup: PeerLookup, options: PeerKeyCacheOptions) {
    this.#lookup = lookup;
    this.#now = options.now;
    this.#ttlMs = options.ttlMs ?? PEER_KEY_TTL_MS;
    this.#refreshMinMs = options.refreshMinMs ?? PEER_KEY_REFRESH_MIN_MS;
    this.#maxEntries = Math.max(1, options.maxEntries ?? MAX_PEER_KEYS);
  }

  /** The node's record: cached while young, else fetched; undefined when unknown and not reachable. */
  get(nodeId: number): Promise<PeerRecord | undefined> {
    const entry = this.#entries.get(nodeId);
    if (entry !== undefined && this.#now() - entry.fetchedAt < this.#ttlMs) {
      return Promise.resolve(entry.record);
    }
    return this.#fetch(nodeId);
  }

  /**
   * Fetches again unless the entry was fetched less than `refreshMinMs` ago (then returns it as is): used
   * when a message carries a key other than the cached one, which is either a rotation or a forgery.
   */
  refresh(nodeId: number): Promise<PeerRecord | undefined> {
    const entry = this.#entries.get(nodeId);
    if (entry !== undefined && this.#now() - entry.fetchedAt < this.#refreshMinMs) {
      return Promise.resolve(entry.record);
    }
    return this.#fetch(nodeId);
  }

  /** Forgets the node, so the next {@linkcode get} asks the registry. */
  invalidate(nodeId: number): void {
    this.#entries.delete(nodeId);
  }

  #fetch(nodeId: number): Promise<PeerRecord | undefined> {
    const running = this.#inFlight.get(nodeId);
    if (running !== undefined) return running;
    const attempt = (async () => {
      // Yield first, so that the in-flight entry below is set before a synchronous failure clears it.
      await Promise.resolve();
      try {
        const record = await this.#lookup(nodeId);
        this.#entries.delete(nodeId); // re-insert at the young end for eviction order
        this.#entries.set(nodeId, { record, fetchedAt: this.#now() });
        if (this.#entries.size > this.#maxEntries) {
          const oldest = this.#entries.keys().next();
          if (!oldest.done) this.#entries.delete(oldest.value);
        }
        return record;
      } catch {
        return this.#entries.get(nodeId)?.record;
      } finally {
        this.#inFlight.delete(nodeId);
      }
    })();
    this.#inFlight.set(nodeId, attempt);
    return attempt;
  }
}
