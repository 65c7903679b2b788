/**
 * What the tunnel's parts share: its configuration, the peer state (table, relay set, pending queues),
 * the counters, the socket, and the plumbing every part needs (events, tracked background jobs, drop
 * counting, bug logging). {@linkcode Tunnel} makes one and hands it to the send path, the receive path
 * and the key-exchange handler; none of them holds peer state of its own beyond its queues.
 *
 * @module
 */

import type { Identity, TunnelKeyPair } from "../crypto/mod.ts";
import { isPilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { UdpAddr, UdpEndpoint } from "../net/mod.ts";
import type { TunnelEventData, TunnelEventHandler, TunnelEventName } from "./events.ts";
import { PeerTable } from "./peer_table.ts";
import { PendingQueues } from "./pending_queue.ts";
import { RelayPeers } from "./relay.ts";
import { TunnelStatsCounter } from "./stats.ts";

/** The registry `resolve` of a node: its `real_addr` as `host:port`. */
export type PeerResolver = (nodeId: number, signal: AbortSignal) => Promise<string>;

/** Options of {@linkcode TunnelContext}. */
export interface TunnelContextOptions {
  readonly udp: UdpEndpoint;
  readonly signal: AbortSignal;
  readonly encrypt: boolean;
  readonly identity: Identity | undefined;
  readonly keyPair: TunnelKeyPair;
  readonly beacon: UdpAddr | undefined;
  readonly resolvePeer: PeerResolver | undefined;
  readonly onEvent: TunnelEventHandler | undefined;
  readonly log: Logger;
  readonly now: () => number;
}

/** The tunnel's shared state. */
export class TunnelContext {
  readonly udp: UdpEndpoint;
  /** Aborted when the tunnel closes. */
  readonly signal: AbortSignal;
  readonly encrypt: boolean;
  readonly identity: Identity | undefined;
  readonly keyPair: TunnelKeyPair;
  readonly beacon: UdpAddr | undefined;
  readonly resolvePeer: PeerResolver | undefined;
  readonly log: Logger;
  readonly now: () => number;
  readonly table: PeerTable = new PeerTable();
  readonly relay: RelayPeers = new RelayPeers();
  readonly pending: PendingQueues = new PendingQueues();
  readonly stats: TunnelStatsCounter = new TunnelStatsCounter();
  /** Background work `close()` waits for (settled copies of each job). */
  readonly jobs: Set<Promise<void>> = new Set();
  /** Our node ID once registered; set only through `Tunnel.setNodeId`. */
  nodeId: number | undefined;
  #onEvent: TunnelEventHandler | undefined;

  constructor(options: TunnelContextOptions) {
    this.udp = options.udp;
    this.signal = options.signal;
    this.encrypt = options.encrypt;
    this.identity = options.identity;
    this.keyPair = options.keyPair;
    this.beacon = options.beacon;
    this.resolvePeer = options.resolvePeer;
    this.#onEvent = options.onEvent;
    this.log = options.log;
    this.now = options.now;
  }

  /** Hands an event to the daemon; a throwing handler is logged, never propagated. */
  emit<N extends TunnelEventName>(name: N, data: TunnelEventData[N]): void {
    if (this.#onEvent === undefined) return;
    try {
      this.#onEvent(name, data);
    } catch (err) {
      this.log.error("tunnel event handler failed", { event: name, error: String(err) });
    }
  }

  /** Counts a refused packet under `fallback:code`; anything but a `PilotError` is a bug and rethrown. */
  dropError(err: unknown, fallback: string): void {
    if (!isPilotError(err)) throw err;
    this.stats.drop(`${fallback}:${err.code}`);
  }

  /** Logs a broken invariant. */
  bug(err: unknown): void {
    this.log.error("tunnel internal error", {
      error: err instanceof Error ? err.stack ?? err.message : String(err),
    });
  }

  /** Registers `job` with {@linkcode TunnelContext.jobs} until it settles; returns it unchanged. */
  track<T>(job: Promise<T>): Promise<T> {
    const settled: Promise<void> = job.then(() => {}, () => {});
    this.jobs.add(settled);
    void settled.then(() => this.jobs.delete(settled));
    return job;
  }

  /** Runs a send whose failure only counts (its caller is not waiting). */
  background(job: Promise<void>): void {
    job.catch((err) => {
      if (isPilotError(err)) this.stats.drop(`send:${err.code}`);
      else this.bug(err);
    });
  }
}
