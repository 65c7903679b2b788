/**
 * The transport driver (`spec/network.md` §5, §6, §8): it owns the pure {@linkcode ConnectionTable},
 * feeds it the packets the tunnel delivers and the time, performs the actions that come out, and arms
 * one real timer at the table's earliest deadline ({@linkcode DeadlineTimer}). Applications get
 * `Deno.Listener`/`Deno.Conn`-shaped listeners and connections, datagrams and control pings.
 *
 * Sending: every packet is encoded and handed to the packet sink (the daemon points it at
 * `tunnel.send`) in the order the table produced it. At most `maxSendsInFlight` sink calls are
 * outstanding; later packets wait in a FIFO queue, and while that queue is past `sendQueueMark`
 * packets, writers wait (backpressure from the socket to the application). A failed send is only
 * logged: the stream retransmits, and datagrams are unreliable anyway. The one exception is a dial's
 * first SYN, whose failure (say `resolve node 5: ...`) fails the dial at once, as in §5.4 step 3.
 *
 * Receiving: `receive` is called from the tunnel's `onPacket`, whose payload views the tunnel's receive
 * buffer, so stream and datagram payloads are copied before anything keeps them.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { NULL_LOGGER } from "../log.ts";
import { encodePacket, formatAddress, PROTOCOLS } from "../protocol/mod.ts";
import type { Address, Packet } from "../protocol/mod.ts";
import type { TransportConfig } from "./config.ts";
import { ConnectionTable } from "./connection_table.ts";
import type { TransportAction, TransportEventName } from "./connection_table.ts";
import type { ConnDriver, OverlayConn } from "./conn.ts";
import { datagramPacket, pingPacket, pongFor } from "./datagram.ts";
import type { Datagram } from "./datagram.ts";
import type { OverlayListener } from "./listener.ts";
import { OutgoingQueue, type PacketSink } from "./outgoing_queue.ts";
import { PingTracker } from "./ping.ts";
import { type ConnectionInfo, connectionInfo } from "./stack_info.ts";
import { ListenerRegistry } from "./stack_listeners.ts";
import { ConnRecords, type StackDialOptions } from "./stack_records.ts";
import { DeadlineTimer } from "./timer.ts";

export type { PacketSink } from "./outgoing_queue.ts";
export type { StackDialOptions } from "./stack_records.ts";

/** Events the stack raises: the transport's (§8) and `data.datagram`. */
export type StackEventName = TransportEventName | "data.datagram";

/** Options of {@linkcode Stack}. */
export interface StackOptions {
  /** Our overlay address: the source of every packet. */
  localAddress: Address;
  /** Passed to the connection table: which SYNs may open a connection (see `ConnectionTableOptions`). */
  admitSyn?: (src: Address, dstPort: number) => boolean;
  /** The packet sink. */
  send: PacketSink;
  config?: Partial<TransportConfig>;
  /** A beacon is configured, so dials switch to relay after 3 SYNs (§5.4). */
  beacon?: boolean;
  /** True when the tunnel already relays to this node (the dial then never switches). */
  isRelay?: (nodeId: number) => boolean;
  /** The dial asks for relay mode towards `nodeId`; the daemon calls `tunnel.setRelay`. */
  onRelayRequested?: (nodeId: number) => void;
  onEvent?: (name: StackEventName, data: Record<string, string | number>) => void;
  /** Every non-empty datagram received (§6.1). `data` is our own copy. */
  onDatagram?: (src: Address, srcPort: number, dstPort: number, data: Uint8Array) => void;
  /** Outstanding sink calls; default 128. */
  maxSendsInFlight?: number;
  /** Queued packets past which writers wait; default 256. */
  sendQueueMark?: number;
  logger?: Logger;
  /** Milliseconds; default `performance.now`. */
  now?: () => number;
}

/** Options of {@linkcode Stack.ping}. */
export interface PingOptions {
  payload?: Uint8Array;
  /** Default 5000. */
  timeoutMs?: number;
}

/**
 * The stream, datagram and ping driver of one node.
 *
 * @example
 * ```ts
 * import { Stack } from "./stack.ts";
 * const sent: number[] = [];
 * const stack = new Stack({ localAddress: { network: 0, node: 1 }, send: (node) => { sent.push(node); return Promise.resolve(); } });
 * await stack.sendDatagram({ network: 0, node: 2 }, 1000, new Uint8Array([1]));
 * if (sent[0] !== 2 || stack.armedTimers() !== 0) throw new Error("one datagram to node 2, no timer");
 * await stack.close();
 * ```
 */
export class Stack implements AsyncDisposable {
  readonly localAddress: Address;
  #table: ConnectionTable;
  #out: OutgoingQueue;
  #log: Logger;
  #now: () => number;
  #options: StackOptions;
  #timer: DeadlineTimer;
  #pings = new PingTracker();
  #records: ConnRecords;
  #listeners: ListenerRegistry;
  #datagramSubscribers = new Set<(datagram: Datagram) => void>();
  #emptyWaiters: (() => void)[] = [];
  #flushing = false;
  #closed = false;
  #driver: ConnDriver;

  constructor(options: StackOptions) {
    this.localAddress = options.localAddress;
    this.#options = options;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#now = options.now ?? (() => performance.now());
    this.#out = new OutgoingQueue(
      options.send,
      this.#log,
      options.maxSendsInFlight ?? 128,
      options.sendQueueMark ?? 256,
    );
    this.#table = new ConnectionTable(
      {
        localAddress: options.localAddress,
        config: options.config,
        logger: this.#log,
        admitSyn: options.admitSyn,
      },
      this.#now(),
    );
    this.#timer = new DeadlineTimer(() => this.#onTimer());
    this.#driver = {
      now: this.#now,
      flush: (touched) => {
        if (touched === undefined) this.#table.touchAll();
        else this.#table.touch(touched);
        this.#flush();
      },
      outgoingRoom: () => this.#closed ? undefined : this.#out.room(),
    };
    this.#records = new ConnRecords(this.#driver);
    this.#listeners = new ListenerRegistry({
      accept: (port) => {
        const connection = this.#table.accept(port);
        return connection === undefined ? undefined : this.#records.accepted(connection);
      },
      unbind: (port) => {
        this.#table.unlisten(port, this.#now());
        this.#flush();
      },
    });
  }

  // --- introspection ---

  /** Real timers pending: the table's one timer plus one per outstanding ping. 0 when idle. */
  armedTimers(): number {
    return (this.#timer.isArmed ? 1 : 0) + this.#pings.size;
  }

  /** Connections in the table, any state (TIME_WAIT included). */
  get connectionCount(): number {
    return this.#table.size;
  }

  /** Resolves once the table holds no connection at all (TIME_WAIT included). */
  whenEmpty(): Promise<void> {
    if (this.#table.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  /** Sink calls outstanding plus packets queued behind them. */
  get pendingSends(): number {
    return this.#out.pending;
  }

  /** Sink calls that failed so far. */
  get sendFailures(): number {
    return this.#out.failures;
  }

  /** The `conn_list` rows of Info (control.md §9.3), ordered by connection ID. */
  connections(): ConnectionInfo[] {
    return this.#table.connections()
      .sort((a, b) => a.id - b.id)
      .map((conn) => connectionInfo(conn, this.#records.counters(conn)));
  }

  /** Ports with a bound listener (Info's `ports`, control.md §9.3). */
  listeningPorts(): number[] {
    return this.#listeners.ports();
  }

  // --- streams ---

  /** Binds a stream listener. @throws {PilotError} `transport_port_bound` (`port <n> already bound`). */
  listen(port: number): OverlayListener<OverlayConn> {
    this.#checkOpen();
    if (!Number.isInteger(port) || port < 0 || port > 0xFFFF) {
      throw new PilotError("invalid_argument", `port ${port} is not a 16-bit port`);
    }
    this.#table.listen(port);
    return this.#listeners.open(this.localAddress, port);
  }

  /**
   * Dials `address:port` from a fresh ephemeral port (§5.4).
   *
   * @throws {PilotError} `transport_refused` (`connection refused`), `transport_dial_timeout`
   *   (`dial timeout`), `transport_dial_aborted`, a tunnel error for a failed first SYN.
   */
  dial(address: Address, port: number, options: StackDialOptions = {}): Promise<OverlayConn> {
    this.#checkOpen();
    const open = () =>
      this.#table.dial({ address, port }, this.#now(), {
        beacon: this.#options.beacon ?? false,
        relayed: this.#options.isRelay?.(address.node) ?? false,
      });
    return this.#records.dial(open, options);
  }

  // --- datagrams and pings ---

  /**
   * Sends one datagram from a fresh ephemeral port (§6.1); resolves once the sink took it.
   *
   * @throws {PilotError} `transport_broadcast` (`broadcast is not available — custom networks are WIP`).
   */
  sendDatagram(address: Address, port: number, data: Uint8Array): Promise<void> {
    this.#checkOpen();
    const srcPort = this.#table.ports.next(); // advanced even by a refused broadcast (§5.16)
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(
        datagramPacket({ address: this.localAddress, port: srcPort }, { address, port }, data),
      );
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.#out.push(address.node, bytes, (error) => error === undefined ? resolve() : reject(error));
    });
  }

  /** Calls `fn` for every datagram received until the returned function is called. */
  subscribeDatagrams(fn: (datagram: Datagram) => void): () => void {
    this.#datagramSubscribers.add(fn);
    return () => this.#datagramSubscribers.delete(fn);
  }

  /**
   * Sends a control ping to `address` port 0 from a fresh ephemeral port and resolves with the round
   * trip in ms (§6.2). @throws {PilotError} `transport_ping_timeout`.
   */
  ping(address: Address, options: PingOptions = {}): Promise<number> {
    this.#checkOpen();
    const port = this.#table.ports.next();
    const seq = this.#pings.nextSeq();
    const payload = options.payload ?? new Uint8Array(0);
    const bytes = encodePacket(pingPacket(this.localAddress, address, port, seq, payload));
    const now = this.#now();
    const rtt = this.#pings.wait(port, address, seq, payload.slice(), now, options.timeoutMs ?? 5000);
    this.#out.push(address.node, bytes, (error) => {
      if (error !== undefined) this.#pings.fail(port, error);
    });
    return rtt;
  }

  // --- packets from the tunnel ---

  /** Handles one packet from the tunnel (`onPacket`); its payload may be reused after the call. */
  receive(packet: Packet, _fromNode: number): void {
    if (this.#closed) return;
    switch (packet.protocol) {
      case PROTOCOLS.STREAM: {
        const p = packet.payload.byteLength > 0 ? { ...packet, payload: packet.payload.slice() } : packet;
        this.#records.countReceived(this.#table.find(p.dstPort, { address: p.src, port: p.srcPort }), p);
        this.#table.receive(p, this.#now());
        this.#flush();
        return;
      }
      case PROTOCOLS.DATAGRAM:
        this.#onDatagram(packet);
        return;
      case PROTOCOLS.CONTROL: {
        const pong = pongFor(packet, this.localAddress);
        if (pong !== undefined) {
          this.#out.push(pong.dst.node, encodePacket(pong));
          return;
        }
        this.#pings.onPong(packet, this.#now());
        return;
      }
      default:
        return; // other protocol bytes pass validation and are ignored (§2.3)
    }
  }

  // --- lifecycle ---

  /** Daemon shutdown (§5.14): FIN to every established connection, all removed; listeners end. */
  shutdown(): void {
    if (this.#closed) return;
    this.#table.shutdown(this.#now());
    this.#listeners.closeAll();
    this.#flush();
  }

  /** Shuts down, fails outstanding pings, waits (bounded) for sends in flight, clears the timer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.shutdown();
    this.#closed = true;
    this.#timer.clear();
    this.#pings.close();
    await this.#out.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- internals ---

  #checkOpen(): void {
    if (this.#closed) throw new PilotError("transport_closed", "stack closed");
  }

  #onTimer(): void {
    if (this.#closed) return;
    this.#table.onTimer(this.#now());
    this.#flush();
  }

  /** Performs every pending action of the table, then re-arms the timer. Re-entrant calls fold in. */
  #flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (let actions = this.#table.takeActions(); actions.length > 0; actions = this.#table.takeActions()) {
        for (const action of actions) this.#perform(action);
      }
    } finally {
      this.#flushing = false;
    }
    if (this.#closed) return;
    const { deadline, complete } = this.#table.changedDeadline();
    // Only a complete reading may clear the timer: the touched connections may have no deadline
    // while others do.
    if (complete || deadline !== undefined) this.#timer.update(deadline, this.#now());
  }

  #perform(action: TransportAction): void {
    switch (action.type) {
      case "send":
        this.#sendPacket(action.packet);
        return;
      case "incoming":
        this.#listeners.onIncoming(action.port);
        return;
      case "established":
        this.#records.established(action.connection);
        return;
      case "dial-failed":
        this.#records.dialFailed(action.connection, action.error);
        return;
      case "relay":
        this.#options.onRelayRequested?.(action.connection.remote.address.node);
        return;
      case "readable":
        this.#records.events(action.connection)?.readable();
        return;
      case "writable":
        this.#records.events(action.connection)?.writable();
        return;
      case "removed":
        this.#records.removed(action.connection, action.reason);
        if (this.#table.size === 0) { for (const wake of this.#emptyWaiters.splice(0)) wake(); }
        return;
      case "event":
        this.#options.onEvent?.(action.name, action.data);
        return;
    }
  }

  #sendPacket(packet: Packet): void {
    const find = () => this.#table.find(packet.srcPort, { address: packet.dst, port: packet.dstPort });
    const done = packet.protocol === PROTOCOLS.STREAM
      ? this.#records.onSend(find(), packet, find)
      : undefined;
    this.#out.push(packet.dst.node, encodePacket(packet), done);
  }

  #onDatagram(packet: Packet): void {
    if (packet.payload.byteLength === 0) return; // §6.1: empty datagrams are dropped
    const data = packet.payload.slice();
    this.#options.onEvent?.("data.datagram", {
      src_addr: formatAddress(packet.src),
      src_port: packet.srcPort,
      dst_port: packet.dstPort,
      size: data.byteLength,
    });
    this.#options.onDatagram?.(packet.src, packet.srcPort, packet.dstPort, data);
    if (this.#datagramSubscribers.size === 0) return;
    const datagram: Datagram = { src: packet.src, srcPort: packet.srcPort, dstPort: packet.dstPort, data };
    for (const fn of this.#datagramSubscribers) fn(datagram);
  }
}
