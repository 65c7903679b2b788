/**
 * Key exchange helpers of network.md §3.3, §3.7 and §4.3: our own PILA/PILK frame, the cache of peers'
 * Ed25519 identity keys (with the Q12 fix), and the per-peer limiter on how often we send key
 * exchanges (the Q21 fix). The decisions on a received key exchange live in key_exchange_handler.ts.
 *
 * Q12 (§4.3): the reference caches a peer's identity key forever, so after the peer rotates its key in
 * the registry its PILA frames fail until we restart. Here a PILA that fails against the cached key
 * re-asks the registry (at most once per {@linkcode IDENTITY_REFRESH_INTERVAL_MS} per peer) and is
 * checked again against the fresh key. A registry answer of "no key" is remembered briefly, so a flood
 * of key exchanges for made-up node IDs cannot turn into a flood of registry lookups.
 *
 * Q21 (§3.6): the reference sends a key exchange before every packet to a peer that never answers. Here
 * a peer gets {@linkcode KEY_EXCHANGE_BURST} at once (the reference's opening sequence), then one per
 * interval, doubling from {@linkcode KEY_EXCHANGE_INTERVAL_MS} to {@linkcode KEY_EXCHANGE_MAX_INTERVAL_MS};
 * an accepted key exchange from the peer resets it.
 *
 * @module
 */

import { type Identity, identitySigner, signPila, type TunnelKeyPair } from "../crypto/mod.ts";
import { encodePila, encodePilk } from "../protocol/mod.ts";
import {
  IDENTITY_NEGATIVE_TTL_MS,
  IDENTITY_REFRESH_INTERVAL_MS,
  KEY_EXCHANGE_BURST,
  KEY_EXCHANGE_INTERVAL_MS,
  KEY_EXCHANGE_MAX_INTERVAL_MS,
  MAX_IDENTITY_CACHE,
} from "./constants.ts";

/**
 * Our key exchange frame: PILA when we have an identity (its signature is deterministic, so one frame
 * serves every peer), otherwise PILK (§3.3).
 */
export function ownKeyExchangeFrame(nodeId: number, keyPair: TunnelKeyPair, identity?: Identity): Uint8Array {
  if (identity === undefined) return encodePilk({ senderNode: nodeId, x25519Public: keyPair.publicKey });
  return encodePila({
    senderNode: nodeId,
    x25519Public: keyPair.publicKey,
    ed25519Public: identity.publicKey,
    signature: signPila(identitySigner(identity), nodeId, keyPair.publicKey),
  });
}

/**
 * Looks up a node's Ed25519 identity key (the registry `lookup`, field `public_key`): the key,
 * `undefined` when the registry has none; a throw means the registry could not be asked.
 */
export type IdentityKeyLookup = (
  nodeId: number,
  signal: AbortSignal,
) => Uint8Array | undefined | Promise<Uint8Array | undefined>;

/** What is known about a node's identity key. */
export type IdentityKeyAnswer =
  | { readonly state: "known"; readonly key: Uint8Array }
  | { readonly state: "none" }
  | { readonly state: "failed" };

interface CacheEntry {
  answer: IdentityKeyAnswer;
  at: number;
}

/** Options of {@linkcode IdentityKeys}. */
export interface IdentityKeysOptions {
  lookup?: IdentityKeyLookup;
  now: () => number;
  signal: AbortSignal;
}

/** The identity-key cache (see the module note on Q12). */
export class IdentityKeys {
  #lookup: IdentityKeyLookup | undefined;
  #now: () => number;
  #signal: AbortSignal;
  #cache = new Map<number, CacheEntry>();
  #inFlight = new Map<number, Promise<IdentityKeyAnswer>>();

  constructor(options: IdentityKeysOptions) {
    this.#lookup = options.lookup;
    this.#now = options.now;
    this.#signal = options.signal;
  }

  /** Records a key learnt from an accepted PILA (§3.7 step 4). */
  remember(nodeId: number, key: Uint8Array): void {
    this.#store(nodeId, { state: "known", key: new Uint8Array(key) });
  }

  /** The cached answer, else the registry's. Never throws. */
  get(nodeId: number): Promise<IdentityKeyAnswer> {
    const cached = this.#cache.get(nodeId);
    if (cached !== undefined) {
      const fresh = cached.answer.state === "known" || this.#now() - cached.at < IDENTITY_NEGATIVE_TTL_MS;
      if (fresh) return Promise.resolve(cached.answer);
    }
    return this.#ask(nodeId);
  }

  /**
   * Re-asks the registry after a PILA failed against the cached key; `undefined` when rate-limited or
   * when the answer is the same key (so re-checking cannot help).
   */
  async refresh(nodeId: number): Promise<Uint8Array | undefined> {
    const cached = this.#cache.get(nodeId);
    if (cached !== undefined && this.#now() - cached.at < IDENTITY_REFRESH_INTERVAL_MS) return undefined;
    const before = cached?.answer.state === "known" ? cached.answer.key : undefined;
    const answer = await this.#ask(nodeId);
    if (answer.state !== "known") return undefined;
    if (before !== undefined && before.every((b, i) => answer.key[i] === b)) return undefined;
    return answer.key;
  }

  #ask(nodeId: number): Promise<IdentityKeyAnswer> {
    const running = this.#inFlight.get(nodeId);
    if (running !== undefined) return running;
    const lookup = this.#lookup;
    const asking = (async (): Promise<IdentityKeyAnswer> => {
      if (lookup === undefined) return { state: "none" };
      try {
        const key = await lookup(nodeId, this.#signal);
        if (key === undefined) return { state: "none" };
        return key.byteLength === 32 ? { state: "known", key: new Uint8Array(key) } : { state: "failed" };
      } catch {
        // The registry could not be asked: the caller fails closed, and the lookup is retried later.
        return { state: "failed" };
      }
    })().then((answer) => {
      this.#inFlight.delete(nodeId);
      const cached = this.#cache.get(nodeId);
      // A failed lookup never erases a key we already hold.
      if (answer.state !== "failed" || cached === undefined) this.#store(nodeId, answer);
      else cached.at = this.#now();
      return answer.state === "failed" && cached?.answer.state === "known" ? cached.answer : answer;
    });
    this.#inFlight.set(nodeId, asking);
    return asking;
  }

  #store(nodeId: number, answer: IdentityKeyAnswer): void {
    this.#cache.delete(nodeId);
    this.#cache.set(nodeId, { answer, at: this.#now() });
    if (this.#cache.size > MAX_IDENTITY_CACHE) {
      // Maps iterate in insertion order, and a store re-inserts: the first key is the stalest.
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
  }
}

/** When we may next send our key exchange to one peer (see the module note on Q21). */
export class KeyExchangeBackoff {
  #sent = 0;
  #nextAt = 0;
  #interval = KEY_EXCHANGE_INTERVAL_MS;

  /** True (and counted) when a key exchange may go out at `now`. */
  take(now: number): boolean {
    if (this.#sent < KEY_EXCHANGE_BURST) {
      this.#sent++;
      if (this.#sent === KEY_EXCHANGE_BURST) this.#nextAt = now + this.#interval;
      return true;
    }
    if (now < this.#nextAt) return false;
    this.#interval = Math.min(this.#interval * 2, KEY_EXCHANGE_MAX_INTERVAL_MS);
    this.#nextAt = now + this.#interval;
    return true;
  }

  /** Call when the peer's key exchange was accepted: it answers, so the next need is a fresh one. */
  reset(): void {
    this.#sent = 0;
    this.#nextAt = 0;
    this.#interval = KEY_EXCHANGE_INTERVAL_MS;
  }
}
