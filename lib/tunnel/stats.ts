/**
 * The tunnel's counters for the daemon's `info` and `peers` output: frames in and out by kind, and
 * dropped datagrams by reason (a reason is a short snake_case name, with the error code after a colon
 * when a decoder refused the bytes).
 *
 * @module
 */

import type { DatagramKind } from "../protocol/mod.ts";

/** Kinds of datagram the tunnel sends. */
export type SentKind = "PILT" | "PILS" | "PILK" | "PILA" | "PILP" | "relay" | "discover" | "punch_request";

/** A snapshot of the counters. */
export interface TunnelStats {
  /** Datagrams received, by classification (§3.1); relayed inner frames count again under their kind. */
  readonly framesIn: Readonly<Record<DatagramKind, number>>;
  /** Datagrams sent, by kind; a relayed frame counts as `relay`. */
  readonly framesOut: Readonly<Record<SentKind, number>>;
  /** Dropped datagrams or packets by reason. */
  readonly drops: Readonly<Record<string, number>>;
  /** Entries in the peer table. */
  readonly peers: number;
  /** Peers with packets waiting for a key exchange. */
  readonly pendingPeers: number;
}

/** The live counters. */
export class TunnelStatsCounter {
  #in: Record<DatagramKind, number> = { PILT: 0, PILS: 0, PILK: 0, PILA: 0, PILP: 0, beacon: 0, ignore: 0 };
  #out: Record<SentKind, number> = {
    PILT: 0,
    PILS: 0,
    PILK: 0,
    PILA: 0,
    PILP: 0,
    relay: 0,
    discover: 0,
    punch_request: 0,
  };
  #drops = new Map<string, number>();

  /** Counts one received datagram. */
  received(kind: DatagramKind): void {
    this.#in[kind]++;
  }

  /** Counts one sent datagram. */
  sent(kind: SentKind): void {
    this.#out[kind]++;
  }

  /** Counts one drop. */
  drop(reason: string): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
  }

  /** Copies the counters. */
  snapshot(extra: { peers: number; pendingPeers: number }): TunnelStats {
    return {
      framesIn: { ...this.#in },
      framesOut: { ...this.#out },
      drops: Object.fromEntries(this.#drops),
      ...extra,
    };
  }
}
