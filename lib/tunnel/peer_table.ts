/**
 * The peer table of network.md §3.5: node ID → UDP endpoint, with each peer's crypto context and the
 * small per-peer state the tunnel's fixes need. An entry whose `endpoint` is unset is "not in the
 * table" in the spec's sense (sending to it fails); it exists only to hold a context or history.
 *
 * Bounded: plaintext-mode learning and Relay-Deliver add entries for any claimed node ID, so past
 * {@linkcode MAX_PEERS} no new entry is made.
 *
 * @module
 */

import { MAX_PEERS, RETIRED_HISTORY } from "./constants.ts";
import { KeyExchangeBackoff } from "./key_exchange.ts";
import type { PeerCrypto } from "./peer_crypto.ts";
import type { UdpAddr } from "../net/mod.ts";

/** One peer. */
export interface PeerEntry {
  readonly nodeId: number;
  /** Where frames go; unset = no entry in the spec's sense. */
  endpoint: UdpAddr | undefined;
  /** The registry's `real_addr` for the node, when we resolved it (Q11, Q13). */
  resolved: UdpAddr | undefined;
  /** Set once a key exchange was accepted. */
  crypto: PeerCrypto | undefined;
  /** X25519 keys the peer used before its current one; a key exchange reusing one is a replay (Q11). */
  retiredKeys: Uint8Array[];
  /** Limits our key exchanges to this peer (Q21, Q10). */
  readonly backoff: KeyExchangeBackoff;
  /** Last time the plaintext endpoint was re-checked with the registry (Q13). */
  lastEndpointCheck: number;
}

/** The table. */
export class PeerTable {
  #entries = new Map<number, PeerEntry>();
  #limit: number;

  constructor(limit: number = MAX_PEERS) {
    this.#limit = limit;
  }

  /** Entries held (with or without endpoint). */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of `nodeId`, if any. */
  get(nodeId: number): PeerEntry | undefined {
    return this.#entries.get(nodeId);
  }

  /** The entry of `nodeId`, made when missing; `undefined` when the table is full. */
  getOrCreate(nodeId: number): PeerEntry | undefined {
    const existing = this.#entries.get(nodeId);
    if (existing !== undefined) return existing;
    if (this.#entries.size >= this.#limit) return undefined;
    const entry: PeerEntry = {
      nodeId,
      endpoint: undefined,
      resolved: undefined,
      crypto: undefined,
      retiredKeys: [],
      backoff: new KeyExchangeBackoff(),
      lastEndpointCheck: -Infinity,
    };
    this.#entries.set(nodeId, entry);
    return entry;
  }

  /** Removes the entry and its context (trust revoked, §3.5). */
  delete(nodeId: number): boolean {
    return this.#entries.delete(nodeId);
  }

  /** All entries. */
  values(): IterableIterator<PeerEntry> {
    return this.#entries.values();
  }
}

/** Remembers `key` as one the peer no longer uses. */
export function retireKey(entry: PeerEntry, key: Uint8Array): void {
  entry.retiredKeys.push(key);
  if (entry.retiredKeys.length > RETIRED_HISTORY) entry.retiredKeys.shift();
}

/** True when `key` is one the peer used before its current key. */
export function isRetiredKey(entry: PeerEntry, key: Uint8Array): boolean {
  return entry.retiredKeys.some((old) =>
    old.byteLength === key.byteLength && old.every((b, i) => key[i] === b)
  );
}
