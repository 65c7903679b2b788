/**
 * The pure demultiplexer of stream packets (`spec/network.md` §5.1, §5.3, §5.5): connections keyed by
 * (local port, remote address, remote port), listeners with their accept queues, SYN admission (rate
 * limits, connection limits) and dialling with ephemeral ports. Every call takes `now`; results come
 * out as actions for the driver (packets to send, connections to hand to listeners, §8 events), so the
 * driver owns the sockets and the one real timer, armed at `nextDeadline()`.
 *
 * Q20: a SYN that matches a connection in TIME_WAIT starts a new connection (the dialler reused its
 * port) instead of resending the old SYN|ACK; the stale one is dropped silently.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { NULL_LOGGER } from "../log.ts";
import { FLAGS, formatAddress, PROTOCOL_VERSION, PROTOCOLS } from "../protocol/mod.ts";
import type { Address, Packet, SocketAddress } from "../protocol/mod.ts";
import type { TransportConfig } from "./config.ts";
import { resolveTransportConfig } from "./config.ts";
import { Connection } from "./connection.ts";
import type { ConnectionHooks, ConnectionOptions, ConnectionSignal } from "./connection.ts";
import type { SynScheduleOptions } from "./dial_schedule.ts";
import { EphemeralPorts } from "./ephemeral_ports.ts";
import type { PortUse } from "./ephemeral_ports.ts";
import { assertNever } from "./state.ts";
import type { EndReason } from "./state.ts";
import { PathBudget } from "./path_budget.ts";
import { SynLimiter, type SynVerdict } from "./syn_limiter.ts";

/** Names of the events the transport raises (§8). */
export type TransportEventName =
  | "conn.syn_received"
  | "conn.established"
  | "conn.fin"
  | "conn.rst"
  | "conn.idle_timeout"
  | "security.syn_rate_limited";

/** What the driver must do after a call into the table. */
export type TransportAction =
  /** Put this packet on the wire. */
  | { type: "send"; packet: Packet }
  /** A connection waits in the accept queue of `port`: `accept(port)` returns it. */
  | { type: "incoming"; port: number }
  /** A dial completed. */
  | { type: "established"; connection: Connection }
  /** A dial failed (`transport_refused`, `transport_dial_timeout`, `transport_closed`). */
  | { type: "dial-failed"; connection: Connection; error: PilotError }
  /** Switch the tunnel peer of `connection.remote.address` to relay mode (§5.4). */
  | { type: "relay"; connection: Connection }
  /** Data or end-of-stream waits on the connection. */
  | { type: "readable"; connection: Connection }
  /** The connection's send buffer has room again. */
  | { type: "writable"; connection: Connection }
  /** The connection is gone from the table. */
  | { type: "removed"; connection: Connection; reason: EndReason }
  /** A §8 event with its data fields. */
  | { type: "event"; name: TransportEventName; data: Record<string, string | number> };

/** Options of {@linkcode ConnectionTable}. */
export interface ConnectionTableOptions {
  /** Our own overlay address. */
  localAddress: Address;
  config?: Partial<TransportConfig>;
  logger?: Logger;
  /**
   * Decides whether a SYN from `src` to `dstPort` may open a connection (the daemon's trust rule: a
   * private node admits only itself and trusted peers, and everyone on the handshake port). A refused
   * SYN is answered with RST, so the dialler fails at once with "connection refused".
   */
  admitSyn?: (src: Address, dstPort: number) => boolean;
}

/** Options of `dial`. */
export type DialOptions = SynScheduleOptions;

interface Listener {
  queue: Connection[];
}

/** What the send buffers of all connections together aim to stay under (see `#sendShare`). */
export const SEND_BUFFERS_TOTAL_BYTES = 64 * 1024 * 1024;
/** The smallest send buffer a connection gets however many are open: 16 segments. */
export const SEND_BUFFER_MIN_BYTES = 64 * 1024;

/**
 * Accepted, never-answered connections one source may hold and still open more without a token: an
 * application that dials many streams at once sends its SYNs before any SYN|ACK is answered.
 */
export const UNCONFIRMED_FREE_PER_SOURCE = 64;
/** ... and all sources together. */
export const UNCONFIRMED_FREE_TOTAL = 256;

/** All stream connections and listeners of one daemon. Not safe for shared use. */
export class ConnectionTable {
  readonly localAddress: Address;
  readonly ports = new EphemeralPorts();
  #config: TransportConfig;
  #log: Logger;
  #limiter: SynLimiter;
  #connections = new Map<string, Connection>();
  #byLocalPort = new Map<number, Set<Connection>>();
  #listeners = new Map<number, Listener>();
  #actions: TransportAction[] = [];
  #nextId = 1;
  #admitSyn: ConnectionTableOptions["admitSyn"];
  /** Accepted connections that have heard nothing from the peer since its SYN, with the source node. */
  #unconfirmed = new Map<Connection, number>();
  #unconfirmedBySource = new Map<number, number>();
  #touched = new Set<Connection>();
  /** One in-flight budget per peer node, with the number of our connections that use it. */
  #paths = new Map<number, { budget: PathBudget; users: number }>();
  #scanAll = true;

  constructor(options: ConnectionTableOptions, nowMs: number) {
    this.localAddress = options.localAddress;
    this.#admitSyn = options.admitSyn;
    this.#config = resolveTransportConfig(options.config);
    this.#log = options.logger ?? NULL_LOGGER;
    this.#limiter = new SynLimiter(nowMs, { globalPerSecond: this.#config.synRateLimit });
  }

  /** Connections in the table, any state. */
  get size(): number {
    return this.#connections.size;
  }

  /** Every connection, any state. */
  connections(): Connection[] {
    return [...this.#connections.values()];
  }

  /** The connection of this tuple, if any (§5.1). */
  find(localPort: number, remote: SocketAddress): Connection | undefined {
    return this.#connections.get(tupleKey(localPort, remote.address, remote.port));
  }

  /** Binds a listener. @throws {PilotError} `transport_port_bound` (`port <n> already bound`, §1.6). */
  listen(port: number): void {
    if (this.#listeners.has(port)) throw new PilotError("transport_port_bound", `port ${port} already bound`);
    this.#listeners.set(port, { queue: [] });
  }

  /** Unbinds a listener; connections still waiting in its accept queue are closed. */
  unlisten(port: number, nowMs: number): void {
    const listener = this.#listeners.get(port);
    if (listener === undefined) return;
    this.#listeners.delete(port);
    for (const conn of listener.queue.splice(0)) {
      conn.close(nowMs, { force: true });
      this.#touched.add(conn);
    }
  }

  /** Takes the oldest connection waiting on `port`, if any. */
  accept(port: number): Connection | undefined {
    return this.#listeners.get(port)?.queue.shift();
  }

  /** Dials `remote` from a fresh ephemeral port (§5.4 steps 2–4). The outcome arrives as an action. */
  dial(remote: SocketAddress, nowMs: number, options: DialOptions = {}): Connection {
    const port = this.ports.allocate((p) => this.#portUse(p));
    const key = tupleKey(port, remote.address, remote.port);
    const stale = this.#connections.get(key);
    if (stale !== undefined) {
      if (stale.isActive) {
        throw new PilotError("transport_ports_exhausted", "no free ephemeral port", {
          hint: "close some connections and retry",
        });
      }
      stale.discard("replaced");
    }
    return this.#open(key, port, remote, (o) => Connection.dial({ ...o, ...options }, nowMs));
  }

  /** Handles one received stream packet in the §5.3 dispatch order. Other protocols are ignored. */
  receive(packet: Packet, nowMs: number): void {
    if (packet.protocol !== PROTOCOLS.STREAM) return;
    if ((packet.flags & FLAGS.SYN) !== 0 && (packet.flags & FLAGS.ACK) === 0) {
      this.#onSyn(packet, nowMs);
      return;
    }
    // Unknown connections are ignored silently, without RST (§5.3).
    const conn = this.#connections.get(tupleKey(packet.dstPort, packet.src, packet.srcPort));
    if (conn === undefined) return;
    this.#touched.add(conn);
    if (this.#unconfirmed.size > 0) this.#confirm(conn); // the peer answered our SYN|ACK
    conn.receive(packet, nowMs);
  }

  /** Notes that `conn` was called into from outside the table, so its deadlines may have moved. */
  touch(conn: Connection): void {
    this.#touched.add(conn);
  }

  /**
   * The earliest deadline among the connections touched since the last call (`complete: false`), or
   * of all connections after a timer run, a shutdown or `touchAll` (`complete: true`). Reading only
   * the touched ones keeps the cost per packet flat however many connections are open; a deadline
   * that moved later is caught when the armed timer fires early and everything is read again.
   */
  changedDeadline(): { deadline: number | undefined; complete: boolean } {
    if (this.#scanAll) {
      this.#scanAll = false;
      this.#touched.clear();
      return { deadline: this.nextDeadline(), complete: true };
    }
    let deadline: number | undefined;
    for (const conn of this.#touched) {
      const t = conn.nextDeadline();
      if (t !== undefined && (deadline === undefined || t < deadline)) deadline = t;
    }
    this.#touched.clear();
    return { deadline, complete: false };
  }

  /** Makes the next {@linkcode ConnectionTable.changedDeadline} read every connection. */
  touchAll(): void {
    this.#scanAll = true;
  }

  /** The earliest deadline of any connection. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const conn of this.#connections.values()) {
      const t = conn.nextDeadline();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** Runs the timers of every connection that is due. */
  onTimer(nowMs: number): void {
    this.#scanAll = true;
    for (const conn of [...this.#connections.values()]) {
      const t = conn.nextDeadline();
      if (t !== undefined && t <= nowMs) conn.onTimer(nowMs);
    }
  }

  /** Hands over the actions produced since the last call, in order. */
  takeActions(): TransportAction[] {
    const out = this.#actions;
    this.#actions = [];
    return out;
  }

  /** Daemon shutdown (§5.14): FIN to every open connection, then all are removed; listeners too. */
  shutdown(nowMs: number): void {
    this.#scanAll = true;
    for (const conn of [...this.#connections.values()]) conn.shutdown(nowMs);
    this.#listeners.clear();
  }

  // --- SYN admission (§5.5) ---

  #onSyn(syn: Packet, nowMs: number): void {
    const listener = this.#listeners.get(syn.dstPort);
    if (listener === undefined) {
      this.#sendRstFor(syn); // step 1
      return;
    }
    const key = tupleKey(syn.dstPort, syn.src, syn.srcPort);
    const existing = this.#connections.get(key);
    if (existing !== undefined) {
      if (existing.isActive) {
        existing.receive(syn, nowMs); // step 2: resend the SYN|ACK
        return;
      }
      existing.discard("replaced"); // Q20
    }
    if (this.#admitSyn !== undefined && !this.#admitSyn(syn.src, syn.dstPort)) {
      this.#log.debug("SYN refused by the admission rule", {
        src: formatAddress(syn.src),
        port: syn.dstPort,
      });
      this.#sendRstFor(syn);
      return;
    }
    const verdict = this.#admission(syn.src.node, nowMs);
    if (verdict === "global-limit") {
      // Steps 3–4: dropped silently, no RST (no amplification).
      this.#event("security.syn_rate_limited", { src_addr: formatAddress(syn.src), src_port: syn.srcPort });
      return;
    }
    if (verdict === "source-limit") return;
    if (
      this.#atPortLimit(syn.dstPort) || this.#atTotalLimit()
    ) {
      this.#log.debug("connection limit reached, SYN refused", { port: syn.dstPort });
      this.#sendRstFor(syn); // steps 5–6
      return;
    }
    const fields = {
      src_addr: formatAddress(syn.src),
      src_port: syn.srcPort,
      dst_port: syn.dstPort,
      conn_id: this.#nextId,
    };
    this.#event("conn.syn_received", fields);
    const remote = { address: syn.src, port: syn.srcPort };
    const conn = this.#open(key, syn.dstPort, remote, (o) => Connection.accept(syn, o, nowMs));
    if (syn.src.node !== this.localAddress.node) {
      this.#unconfirmed.set(conn, syn.src.node);
      this.#unconfirmedBySource.set(syn.src.node, (this.#unconfirmedBySource.get(syn.src.node) ?? 0) + 1);
    }
    this.#event("conn.established", fields);
    if (listener.queue.length >= this.#config.acceptQueue) {
      conn.abort("accept-queue-full"); // step 9: the peer sees SYN|ACK, then RST
      return;
    }
    listener.queue.push(conn);
    this.#actions.push({ type: "incoming", port: syn.dstPort });
  }

  /**
   * §5.5 steps 3–4 with one change of ours. The reference drops every SYN the buckets have no token
   * for, so a client that opens one connection per message cannot pass 10 per second. Here the buckets
   * are still charged for every SYN, but one they refuse is admitted anyway while its source has fewer
   * than {@linkcode UNCONFIRMED_FREE_PER_SOURCE} accepted connections that never sent a packet after
   * their SYN, and the daemon fewer than {@linkcode UNCONFIRMED_FREE_TOTAL}. A real client answers the
   * SYN|ACK within a round trip, so it never meets the limit; SYNs nobody follows up meet it exactly as
   * in the reference. Our own SYNs never come from the network (the daemon delivers them in-process and
   * drops forged ones), so they take no token at all.
   */
  #admission(sourceNode: number, nowMs: number): SynVerdict {
    if (sourceNode === this.localAddress.node) return "admit";
    const verdict = this.#limiter.admit(sourceNode, nowMs);
    if (verdict === "admit") return verdict;
    const unanswered = this.#unconfirmedBySource.get(sourceNode) ?? 0;
    return unanswered < UNCONFIRMED_FREE_PER_SOURCE && this.#unconfirmed.size < UNCONFIRMED_FREE_TOTAL
      ? "admit"
      : verdict;
  }

  #confirm(conn: Connection): void {
    const source = this.#unconfirmed.get(conn);
    if (source === undefined) return;
    this.#unconfirmed.delete(conn);
    const left = (this.#unconfirmedBySource.get(source) ?? 1) - 1;
    if (left > 0) this.#unconfirmedBySource.set(source, left);
    else this.#unconfirmedBySource.delete(source);
  }

  /** RST for a refused SYN: addresses and ports swapped, seq 0, ack 0, window 0 (§5.5 step 1). */
  #sendRstFor(syn: Packet): void {
    this.#actions.push({
      type: "send",
      packet: {
        version: PROTOCOL_VERSION,
        flags: FLAGS.RST,
        protocol: PROTOCOLS.STREAM,
        src: syn.dst,
        dst: syn.src,
        srcPort: syn.dstPort,
        dstPort: syn.srcPort,
        seq: 0,
        ack: 0,
        window: 0,
        payload: new Uint8Array(0),
      },
    });
  }

  // Counting active connections walks them all, TIME_WAIT included (10 s of them under per-message
  // churn), so it is done only when there are at least as many connections as the limit.
  #atPortLimit(port: number): boolean {
    const limit = this.#config.maxConnectionsPerPort;
    const all = this.#byLocalPort.get(port);
    if (all === undefined || all.size < limit) return false;
    let n = 0;
    for (const conn of all) if (conn.isActive) n++;
    return n >= limit;
  }

  #atTotalLimit(): boolean {
    const limit = this.#config.maxConnectionsTotal;
    if (this.#connections.size < limit) return false;
    let n = 0;
    for (const conn of this.#connections.values()) if (conn.isActive) n++;
    return n >= limit;
  }

  #portUse(port: number): PortUse {
    let use: PortUse = "free";
    for (const conn of this.#byLocalPort.get(port) ?? []) {
      if (conn.isActive) return "active";
      use = "time-wait";
    }
    return use;
  }

  // --- Bookkeeping ---

  /** Creates a connection through `create` with hooks bound to it, and adds it to the table. */
  #open(
    key: string,
    localPort: number,
    remote: SocketAddress,
    create: (options: ConnectionOptions) => Connection,
  ): Connection {
    // Hooks need the connection, which exists only once the factory returns; factories send but do not signal.
    const holder: { conn?: Connection } = {};
    const hooks: ConnectionHooks = {
      send: (packet) => this.#actions.push({ type: "send", packet }),
      touched: () => {
        if (holder.conn !== undefined) this.#touched.add(holder.conn);
      },
      signal: (signal) => {
        if (holder.conn === undefined) {
          throw new Error(`connection signalled ${signal.type} before it existed`);
        }
        this.#onSignal(holder.conn, signal);
      },
    };
    const id = this.#nextId++;
    const options = {
      id,
      localAddress: this.localAddress,
      localPort,
      remote,
      hooks,
      logger: this.#log,
      config: this.#config,
      path: this.#joinPath(remote.address.node),
      sendCapacity: this.#sendShare,
    };
    const conn = create(options);
    holder.conn = conn;
    this.#add(key, conn);
    this.#touched.add(conn);
    return conn;
  }

  #onSignal(conn: Connection, signal: ConnectionSignal): void {
    switch (signal.type) {
      case "established":
      case "relay-requested":
      case "readable":
      case "writable": {
        const type = signal.type === "relay-requested" ? "relay" : signal.type;
        this.#actions.push({ type, connection: conn });
        return;
      }
      case "dial-failed":
        this.#actions.push({ type: "dial-failed", connection: conn, error: signal.error });
        return;
      case "fin-received":
        this.#event("conn.fin", remoteFields(conn));
        return;
      case "rst-received":
        this.#event("conn.rst", remoteFields(conn));
        return;
      case "idle-timeout":
        this.#event("conn.idle_timeout", remoteFields(conn));
        return;
      case "closed":
        this.#remove(conn);
        this.#actions.push({ type: "removed", connection: conn, reason: signal.reason });
        return;
      default:
        assertNever(signal);
    }
  }

  #event(name: TransportEventName, data: Record<string, string | number>): void {
    this.#actions.push({ type: "event", name, data });
  }

  #add(key: string, conn: Connection): void {
    this.#connections.set(key, conn);
    let set = this.#byLocalPort.get(conn.localPort);
    if (set === undefined) this.#byLocalPort.set(conn.localPort, set = new Set());
    set.add(conn);
  }

  /**
   * Each connection's send buffer: the configured size (2 MiB) while few are open, shrinking so that
   * all of them together stay near {@linkcode SEND_BUFFERS_TOTAL_BYTES}, never below
   * {@linkcode SEND_BUFFER_MIN_BYTES}. A thousand connections with 2 MiB each let a daemon take in a
   * gigabyte its peers could not yet receive.
   */
  #sendShare = (): number =>
    Math.min(
      this.#config.sendBufferBytes,
      Math.max(
        SEND_BUFFER_MIN_BYTES,
        Math.floor(SEND_BUFFERS_TOTAL_BYTES / Math.max(1, this.#connections.size)),
      ),
    );

  #joinPath(node: number): PathBudget {
    let path = this.#paths.get(node);
    if (path === undefined) this.#paths.set(node, path = { budget: new PathBudget(), users: 0 });
    path.users++;
    return path.budget;
  }

  #leavePath(node: number): void {
    const path = this.#paths.get(node);
    if (path !== undefined && --path.users <= 0) this.#paths.delete(node);
  }

  #remove(conn: Connection): void {
    this.#confirm(conn);
    const key = tupleKey(conn.localPort, conn.remote.address, conn.remote.port);
    if (this.#connections.get(key) === conn) this.#connections.delete(key);
    const set = this.#byLocalPort.get(conn.localPort);
    if (set?.delete(conn) === true) this.#leavePath(conn.remote.address.node); // once per connection
    if (set?.size === 0) this.#byLocalPort.delete(conn.localPort);
    const queue = this.#listeners.get(conn.localPort)?.queue;
    const at = queue?.indexOf(conn) ?? -1;
    if (at >= 0) queue?.splice(at, 1);
  }
}

/** The §8 data fields of conn.fin, conn.rst and conn.idle_timeout. */
function remoteFields(conn: Connection): Record<string, string | number> {
  return {
    remote_addr: formatAddress(conn.remote.address),
    remote_port: conn.remote.port,
    local_port: conn.localPort,
    conn_id: conn.id,
  };
}

function tupleKey(localPort: number, address: Address, remotePort: number): string {
  return `${localPort}/${address.network}/${address.node}/${remotePort}`;
}
