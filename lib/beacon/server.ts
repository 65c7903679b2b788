/**
 * The beacon UDP server (control.md §5.3): answers Discover with the observed endpoint, coordinates hole
 * punching, relays frames to nodes (or to the peer beacon that knows them) and gossips its node ids.
 *
 * Differences from the reference, on purpose:
 * - Tables are bounded: an entry expires after `entryTtlMs` without a Discover or Punch-Request from that
 *   node (default 3 min) and at most `maxEntries` are kept, least recently seen evicted first.
 * - Relays are sent from the receive loop instead of a 4,096-job queue with workers: one isolate has no
 *   parallel workers to feed, and awaiting each send keeps the socket's backpressure.
 * - Deno cannot set the 4 MiB socket receive buffer; the system default applies.
 * - Registry-based peer discovery (`-registry`) is not implemented; static `peers` are.
 *
 * @module
 */

import { isPilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import {
  type BeaconEndpoint,
  type BeaconMessage,
  decodeBeaconMessage,
  encodeBeaconMessage,
  MAX_BEACON_DATAGRAM,
  MAX_SYNC_NODES,
  normalizeIp,
  parseIp,
} from "../protocol/beacon_message.ts";
import {
  DEFAULT_BEACON_PORT,
  DEFAULT_ENTRY_TTL_MS,
  DEFAULT_MAX_ENTRIES,
  DROP_LOG_INTERVAL_MS,
  GOSSIP_INTERVAL_MS,
  MAX_RECEIVE_FAILURES,
  READ_BUFFER_SIZE,
} from "./constants.ts";
import { ExpiringTable } from "./expiring_table.ts";
import { formatUdpAddr, type UdpAddr, UdpEndpoint } from "../net/mod.ts";

/** Options of {@linkcode startBeacon}. */
export interface BeaconServerOptions {
  /** Bind host; default `0.0.0.0`. */
  hostname?: string;
  /** Bind port; default 9001, 0 picks a free one. */
  port?: number;
  logger?: Logger;
  /** Forget a node after this long without traffic from it; default {@linkcode DEFAULT_ENTRY_TTL_MS}. */
  entryTtlMs?: number;
  /** Most node (and peer-beacon) entries kept; default {@linkcode DEFAULT_MAX_ENTRIES}. */
  maxEntries?: number;
  /** Id sent in Sync; 0 = standalone. */
  beaconId?: number;
  /** Peer beacons to gossip with. */
  peers?: readonly UdpAddr[];
  /** Default {@linkcode GOSSIP_INTERVAL_MS}. */
  gossipIntervalMs?: number;
  /** Milliseconds, non-decreasing; default `performance.now`. Tests pass a fake clock. */
  now?: () => number;
  /** Aborting closes the server. */
  signal?: AbortSignal;
}

/** Counters of a running server. */
export interface BeaconStats {
  received: number;
  sent: number;
  sendErrors: number;
  /** Datagrams that failed to decode, by error code. */
  malformed: Record<string, number>;
  /** Well-formed messages a beacon does not act on (Discover-Reply, Punch-Command, Relay-Deliver). */
  ignored: number;
  /** Punch-Requests for an unknown target. */
  punchUnknownTarget: number;
  /** Relays for a destination no table knows. */
  relayUnknownDest: number;
  relayed: number;
  forwarded: number;
  nodes: number;
  gossipNodes: number;
  expired: number;
  evicted: number;
}

interface NodeEntry {
  endpoint: BeaconEndpoint;
  addr: UdpAddr;
}

interface PeerEntry {
  key: string;
  addr: UdpAddr;
}

/**
 * Starts a beacon. Close it with `close()`, `await using`, or the `signal` option.
 *
 * @example
 * ```ts
 * import { startBeacon } from "./server.ts";
 * await using beacon = startBeacon({ hostname: "127.0.0.1", port: 0 });
 * if (beacon.addr.port === 0) throw new Error("bound to a real port");
 * ```
 */
export function startBeacon(options: BeaconServerOptions = {}): BeaconServer {
  return new BeaconServer(options);
}

/** A running beacon; see {@linkcode startBeacon}. */
export class BeaconServer implements AsyncDisposable {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: UdpAddr;
  #socket: UdpEndpoint;
  #log: Logger;
  #now: () => number;
  #nodes: ExpiringTable<number, NodeEntry>;
  #gossip: ExpiringTable<number, PeerEntry>;
  #beaconId: number;
  #peers: readonly UdpAddr[];
  #abort = new AbortController();
  #loop: Promise<void>;
  #gossipTimer: ReturnType<typeof setInterval> | undefined;
  #sendBuffer = new Uint8Array(MAX_BEACON_DATAGRAM);
  #stats: Omit<BeaconStats, "nodes" | "gossipNodes" | "expired" | "evicted"> = {
    received: 0,
    sent: 0,
    sendErrors: 0,
    malformed: {},
    ignored: 0,
    punchUnknownTarget: 0,
    relayUnknownDest: 0,
    relayed: 0,
    forwarded: 0,
  };
  #lastProblemLog = -Infinity;
  #problemsSinceLog = 0;

  constructor(options: BeaconServerOptions = {}) {
    this.#log = options.logger ?? NULL_LOGGER;
    this.#now = options.now ?? (() => performance.now());
    const ttlMs = options.entryTtlMs ?? DEFAULT_ENTRY_TTL_MS;
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#nodes = new ExpiringTable({ ttlMs, maxEntries });
    this.#gossip = new ExpiringTable({ ttlMs, maxEntries });
    this.#beaconId = options.beaconId ?? 0;
    this.#peers = options.peers ?? [];
    this.#socket = UdpEndpoint.bind({
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? DEFAULT_BEACON_PORT,
    }, { errorArea: "beacon" });
    this.addr = this.#socket.addr;
    this.#loop = this.#receiveLoop();
    if (this.#peers.length > 0) {
      this.#gossipTimer = setInterval(
        () => void this.#gossipOnce(),
        options.gossipIntervalMs ?? GOSSIP_INTERVAL_MS,
      );
    }
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) void this.close();
      else {signal.addEventListener("abort", () => void this.close(), {
          once: true,
          signal: this.#abort.signal,
        });}
    }
  }

  /** True once closing began (the health endpoint then reports unhealthy). */
  get draining(): boolean {
    return this.#abort.signal.aborted;
  }

  /** A snapshot of the counters. */
  stats(): BeaconStats {
    const now = this.#now();
    this.#nodes.sweep(now);
    this.#gossip.sweep(now);
    return {
      ...this.#stats,
      malformed: { ...this.#stats.malformed },
      nodes: this.#nodes.size,
      gossipNodes: this.#gossip.size,
      expired: this.#nodes.expired,
      evicted: this.#nodes.evicted,
    };
  }

  /** The endpoint recorded for `nodeId`, if it is live. */
  lookup(nodeId: number): BeaconEndpoint | undefined {
    return this.#nodes.get(nodeId, this.#now())?.endpoint;
  }

  /** Stops receiving and sending; resolves once the loop has ended. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
      clearInterval(this.#gossipTimer);
      this.#socket.close();
    }
    await this.#loop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #receiveLoop(): Promise<void> {
    this.#log.debug("beacon receiving", { addr: formatUdpAddr(this.addr) });
    return this.#socket.receiveEach(new Uint8Array(READ_BUFFER_SIZE), (bytes, from) => {
      this.#stats.received++;
      // Each handler awaits its sends before the next receive reuses the buffer the message views.
      return this.#handle(bytes, from);
    }, {
      signal: this.#abort.signal,
      maxFailures: MAX_RECEIVE_FAILURES,
      onGiveUp: (err) =>
        this.#log.error("beacon receive failed repeatedly, stopping", { error: String(err) }),
      // Handlers catch what they expect; anything else is a bug, logged, and the loop goes on.
      onHandlerError: (err, from) =>
        this.#log.error("beacon handler failed", { error: String(err), from: formatUdpAddr(from) }),
    });
  }

  async #handle(bytes: Uint8Array, from: UdpAddr): Promise<void> {
    const now = this.#now();
    this.#nodes.sweep(now);
    this.#gossip.sweep(now);
    let msg: BeaconMessage;
    try {
      msg = decodeBeaconMessage(bytes);
    } catch (err) {
      if (!isPilotError(err)) throw err;
      this.#stats.malformed[err.code] = (this.#stats.malformed[err.code] ?? 0) + 1;
      this.#problem("beacon dropped malformed datagram", { code: err.code, from: formatUdpAddr(from) });
      return;
    }
    switch (msg.type) {
      case "discover": {
        const entry = this.#record(msg.nodeId, from, now);
        if (entry === undefined) return;
        await this.#send({ type: "discover-reply", endpoint: entry.endpoint }, from);
        return;
      }
      case "punch-request": {
        const requester = this.#record(msg.requesterId, from, now);
        const target = this.#nodes.get(msg.targetId, now);
        if (requester === undefined) return;
        if (target === undefined) {
          this.#stats.punchUnknownTarget++;
          return;
        }
        await this.#send({ type: "punch-command", endpoint: target.endpoint }, from);
        await this.#send({ type: "punch-command", endpoint: requester.endpoint }, target.addr);
        return;
      }
      case "relay": {
        const dest = this.#nodes.get(msg.destId, now);
        if (dest !== undefined) {
          this.#stats.relayed++;
          await this.#send({ type: "relay-deliver", senderId: msg.senderId, frame: msg.frame }, dest.addr);
          return;
        }
        const peer = this.#gossip.get(msg.destId, now);
        if (peer !== undefined) {
          this.#stats.forwarded++;
          await this.#sendBytes(bytes, peer.addr);
          return;
        }
        this.#stats.relayUnknownDest++;
        return;
      }
      case "sync":
        this.#applySync(msg.nodeIds, from, now);
        return;
      case "discover-reply":
      case "punch-command":
      case "relay-deliver":
        this.#stats.ignored++;
        return;
      default: {
        const never: never = msg;
        throw new Error(`unhandled beacon message ${JSON.stringify(never)}`);
      }
    }
  }

  /** Records `nodeId → from`; undefined when the source address is not an IP literal (never on a real socket). */
  #record(nodeId: number, from: UdpAddr, now: number): NodeEntry | undefined {
    let ip: Uint8Array;
    try {
      // A link-local source carries its zone after '%'; the wire form has no room for it.
      ip = normalizeIp(parseIp(from.hostname.split("%")[0]));
    } catch {
      this.#problem("beacon cannot encode source address", { from: from.hostname });
      return undefined;
    }
    const entry = { endpoint: { ip, port: from.port }, addr: from };
    this.#nodes.set(nodeId, entry, now);
    // A node that talks to us directly is ours, whatever a peer beacon claimed before.
    this.#gossip.delete(nodeId);
    return entry;
  }

  #applySync(nodeIds: readonly number[], from: UdpAddr, now: number): void {
    const key = formatUdpAddr(from);
    // Each Sync is the peer's full list: what it no longer lists is no longer reachable through it.
    this.#gossip.deleteWhere((peer) => peer.key === key);
    const peer = { key, addr: from };
    for (const id of nodeIds) {
      if (!this.#nodes.has(id, now)) this.#gossip.set(id, peer, now);
    }
  }

  async #gossipOnce(): Promise<void> {
    if (this.#abort.signal.aborted) return;
    const now = this.#now();
    const ids: number[] = [];
    for (const id of this.#nodes.keys(now)) {
      if (ids.length >= MAX_SYNC_NODES) break;
      ids.push(id);
    }
    const bytes = encodeBeaconMessage({ type: "sync", beaconId: this.#beaconId, nodeIds: ids });
    for (const peer of this.#peers) await this.#sendBytes(bytes, peer);
  }

  #send(msg: BeaconMessage, to: UdpAddr): Promise<void> {
    return this.#sendBytes(encodeBeaconMessage(msg, this.#sendBuffer), to);
  }

  async #sendBytes(bytes: Uint8Array, to: UdpAddr): Promise<void> {
    if (this.#socket.closed) return;
    try {
      await this.#socket.send(bytes, to);
      this.#stats.sent++;
    } catch (err) {
      if (this.#socket.closed) return;
      this.#stats.sendErrors++;
      this.#problem("beacon send failed", { to: formatUdpAddr(to), error: String(err) });
    }
  }

  #problem(msg: string, attrs: Record<string, string>): void {
    this.#problemsSinceLog++;
    const now = this.#now();
    if (now - this.#lastProblemLog < DROP_LOG_INTERVAL_MS) return;
    this.#log.warn(msg, { ...attrs, count_since_last: this.#problemsSinceLog });
    this.#lastProblemLog = now;
    this.#problemsSinceLog = 0;
  }
}
