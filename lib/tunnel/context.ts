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

/** The tunnel's settings, fixed at construction. */
export interface TunnelConfig {
  /** Aborted when the tunnel closes. */
  readonly signal: AbortSignal;
  readonly encrypt: boolean;
  readonly identity: Identity | undefined;
  readonly keyPair: TunnelKeyPair;
  readonly beacon: UdpAddr | undefined;
  readonly resolvePeer: PeerResolver | undefined;
  readonly onEvent: TunnelEventHandler | undefined;
  readonly log: Logger;
  /** Milliseconds, for rate limits. */
  readonly now: () => number;
}

/** The tunnel's shared state. */
export class TunnelContext {
  readonly config: TunnelConfig;
  /** The one socket, for peers and the beacon alike. */
  readonly udp: UdpEndpoint;
  readonly table: PeerTable = new PeerTable();
  readonly relay: RelayPeers = new RelayPeers();
  readonly pending: PendingQueues = new PendingQueues();
  readonly stats: TunnelStatsCounter = new TunnelStatsCounter();
  /** Background work `close()` waits for (settled copies of each job). */
  readonly jobs: Set<Promise<void>> = new Set();
  /** Our node ID once registered; set only through `Tunnel.setNodeId`. */
  nodeId: number | undefined;

  constructor(config: TunnelConfig, udp: UdpEndpoint) {
    this.config = config;
    this.udp = udp;
  }

  /** Hands an event to the daemon; a throwing handler is logged, never propagated. */
  emit<N extends TunnelEventName>(name: N, data: TunnelEventData[N]): void {
    const onEvent = this.config.onEvent;
    if (onEvent === undefined) return;
    try {
      onEvent(name, data);
    } catch (err) {
      this.config.log.error("tunnel event handler failed", { event: name, error: String(err) });
    }
  }

  /** Counts a refused packet under `fallback:code`; anything but a `PilotError` is a bug and rethrown. */
  dropError(err: unknown, fallback: string): void {
    if (!isPilotError(err)) throw err;
    this.stats.drop(`${fallback}:${err.code}`);
  }

  /** Logs a broken invariant. */
  bug(err: unknown): void {
    this.config.log.error("tunnel internal error", {
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
