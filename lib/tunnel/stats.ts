/**
 * The tunnel's counters for the daemon's `info` and `peers` output: frames in and out by kind, the
 * bytes of every datagram on the socket (control.md §9.3 `bytes_sent`/`bytes_recv`: framing and beacon
 * traffic included), and dropped datagrams by reason (a reason is a short snake_case name, with the error code after a colon
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
  /**
   * UDP payload bytes of every datagram the socket received, whatever it held (beacon messages and
   * unknown magic too); a relayed inner frame is not counted again.
   */
  readonly bytesIn: number;
  /** UDP payload bytes of every datagram handed to the socket (as counted in `framesOut`). */
  readonly bytesOut: number;
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
  #bytesIn = 0;
  #bytesOut = 0;
  #drops = new Map<string, number>();

  /** Counts one classified frame: a datagram, or the inner frame of a Relay-Deliver. */
  received(kind: DatagramKind): void {
    this.#in[kind]++;
  }

  /** Counts the size of one datagram read from the socket. */
  bytesReceived(byteLength: number): void {
    this.#bytesIn += byteLength;
  }

  /** Counts one datagram handed to the socket, with its size. */
  sent(kind: SentKind, byteLength: number): void {
    this.#out[kind]++;
    this.#bytesOut += byteLength;
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
      bytesIn: this.#bytesIn,
      bytesOut: this.#bytesOut,
      drops: Object.fromEntries(this.#drops),
      ...extra,
    };
  }
}
