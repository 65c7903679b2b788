/**
 * The out-of-process SDK: {@linkcode connect} opens a running daemon's IPC socket (control.md §9) and
 * returns a {@linkcode PilotClient}, which keeps the same contract as the in-process `Pilot`
 * (contract.ts), so one application runs on either.
 *
 * Sessions: the daemon runs the commands of one IPC connection one at a time (a Dial may take ≈29 s,
 * a Send waits for window), has no Unbind, and closes a session's connections and ports with it
 * (§9.5, §9.6). So the client keeps one control session (Info, hostnames, datagrams), gives each
 * listener a session of its own (closing it frees the port), and each dialled connection too (a stuck
 * dial or a full window never delays anything else). Every session receives every datagram (§9.5);
 * only the control session reads them, the others drop theirs at the driver's bound of 256.
 *
 * Dial sessions are reused. Opening a session and ending it cost both processes more than a short
 * conversation itself (one message per connection), and the daemon's clean-up of the old session sat
 * in front of the next Dial. Closing a dialled connection sends IPC Close on its session, and `closed`
 * resolves once that frame is on the socket (the daemon runs it after every Send before it; FIN
 * follows delivery, Q17). When the CloseOK comes back the session is idle, since the daemon answers
 * only after running everything before, and waits in a small pool for the next dial. A session whose
 * Close is not answered within {@linkcode CLOSE_ANSWER_MS} (a Send still waiting for the peer's window)
 * is ended instead, so it never delays a later dial.
 *
 * @module
 */

import { isPilotError, PilotError } from "../errors.ts";
import { IpcClient } from "../ipc/client.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import { DEFAULT_SOCKET_PATH } from "../permissions.ts";
import { type Address, isBroadcast, MAX_PAYLOAD, parseAddress } from "../protocol/mod.ts";
import { BROADCAST_REFUSED, type Datagram } from "../transport/datagram.ts";
import type { PilotDialOptions, PilotNode, Target } from "./contract.ts";
import { DatagramReceiver, type DatagramReceiverOptions } from "./datagrams.ts";
import { fromDaemon } from "./_ipc_errors.ts";
import { IpcConn } from "./ipc_conn.ts";
import { IpcListener } from "./ipc_listener.ts";
import { targetAddress } from "./target.ts";

/** Options of {@linkcode connect}. */
export interface ConnectOptions {
  /** The daemon's socket; default `PILOT_SOCKET`, else `/tmp/pilot.sock` (control.md §9.1). */
  socket?: string;
  /** Aborts connecting. */
  signal?: AbortSignal;
  logger?: Logger;
}

// A port we just unbound may still look bound to a bind on a new session, which the daemon can read
// before it has seen the old session end: retry that one case a few times.
const REBIND_DELAYS_MS = [2, 5, 10, 20, 50, 100, 200, 400] as const;

/** Idle dial sessions kept for reuse; concurrent dials open more, and the extra ones end when freed. */
const IDLE_SESSIONS = 4;

/**
 * How long a closed connection's session may wait for the daemon's CloseOK before it is ended rather
 * than reused. The answer normally takes one IPC round trip; only a Send waiting for the peer's window
 * holds it up.
 */
export const CLOSE_ANSWER_MS = 2_000;

/**
 * Connects to a running daemon.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using pilot = await connect(); // PILOT_SOCKET, else /tmp/pilot.sock
 * const conn = await pilot.dial("beta", 4000);
 * await conn.write(new TextEncoder().encode("hello"));
 * conn.close();
 * ```
 * @throws {PilotError} `ipc_connect_failed` when no daemon listens there.
 */
export async function connect(options: ConnectOptions = {}): Promise<PilotClient> {
  const socket = options.socket ?? socketFromEnvironment() ?? DEFAULT_SOCKET_PATH;
  const log = options.logger ?? NULL_LOGGER;
  const control = await IpcClient.connect(socket, {
    logger: log,
    signal: options.signal,
    onError: (error) => log.warn("daemon reported an error", { error: error.message }),
  });
  try {
    const info = await control.info({ signal: options.signal });
    return new PilotClient(socket, control, parseInfoAddress(info), log);
  } catch (err) {
    await control.close();
    throw err;
  }
}

/** A running daemon, for applications in another process. Close it to end every session. */
export class PilotClient implements PilotNode<IpcConn>, AsyncDisposable {
  /** The daemon's socket path. */
  readonly socket: string;
  /** The daemon's overlay address (from Info at connect time). */
  readonly address: Address;
  #control: IpcClient;
  #log: Logger;
  #sessions = new Set<IpcClient>();
  /** Dial sessions whose last connection is closed and answered, newest last. */
  #idle: IpcClient[] = [];
  #listeners = new Set<IpcListener>();
  #conns = new Set<IpcConn>();
  /** Sessions waiting for the CloseOK of their connection (see #closeAndRecycle). */
  #recycling = new Set<Promise<void>>();
  #receivers = new Set<DatagramReceiver>();
  #pushers = new Set<(d: Datagram) => void>();
  /** Ports this client unbound; the next bind of one may race the daemon's cleanup. */
  #freed = new Set<number>();
  #datagramLoop: Promise<void>;
  #closing: Promise<void> | undefined;

  /** Use {@linkcode connect}. */
  constructor(socket: string, control: IpcClient, address: Address, logger: Logger) {
    this.socket = socket;
    this.#control = control;
    this.address = address;
    this.#log = logger;
    this.#datagramLoop = this.#pumpDatagrams();
  }

  /**
   * Binds `port` on the daemon for this client.
   *
   * @throws {PilotError} `transport_port_bound` (`port <n> already bound`); `ipc_closed` after close().
   */
  async listen(options: { port: number }): Promise<IpcListener> {
    const { port } = options;
    for (const listener of this.#listeners) {
      if (listener.addr.port === port && listener.isEnding) await listener.closed;
    }
    const ipc = await this.#session();
    try {
      await this.#bind(ipc, port, this.#freed.has(port));
    } catch (err) {
      await this.#endSession(ipc);
      throw fromDaemon(err);
    }
    this.#freed.delete(port);
    const listener = new IpcListener(ipc, { transport: "pilot", address: this.address, port });
    this.#listeners.add(listener);
    void listener.closed.then(() => {
      this.#listeners.delete(listener);
      this.#sessions.delete(ipc);
      this.#freed.add(port);
    });
    if (this.#closing !== undefined) listener.close();
    return listener;
  }

  /**
   * Opens a stream to `target:port` through the daemon, on a session of its own.
   *
   * @throws {PilotError} `transport_refused` (`connection refused`), `transport_dial_timeout`
   *   (`dial timeout`, also when `timeoutMs` runs out), `invalid_argument` for a malformed address,
   *   `not_found` for a hostname the registry does not know.
   */
  async dial(target: Target, port: number, options: PilotDialOptions = {}): Promise<IpcConn> {
    const address = await targetAddress(
      target,
      (name, signal) => this.#resolve(name, signal),
      options.signal,
    );
    const give = new AbortController();
    const onAbort = () => give.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      give.abort(new PilotError("transport_dial_timeout", "dial timeout"));
    }, options.timeoutMs);
    let ipc: IpcClient | undefined;
    try {
      options.signal?.throwIfAborted();
      ipc = await this.#dialSession(give.signal);
      const session = ipc;
      const id = await session.dial(address, port, { signal: give.signal });
      const conn = new IpcConn(session, {
        id,
        local: { transport: "pilot", address: this.address, port: 0 },
        remote: { transport: "pilot", address, port },
      }, async () => {
        this.#conns.delete(conn);
        await this.#closeAndRecycle(session, id);
      });
      this.#conns.add(conn);
      if (this.#closing !== undefined) conn.close();
      return conn;
    } catch (err) {
      if (ipc !== undefined) await this.#endSession(ipc);
      throw give.signal.aborted ? give.signal.reason : fromDaemon(err);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Sends one datagram through the daemon. There is no success reply (§9.2): a failure the daemon finds
   * later is logged as a warning.
   *
   * @throws {PilotError} `transport_broadcast` for a broadcast address; `transport_datagram_too_large`
   *   past 65,535 bytes.
   */
  async sendDatagram(target: Target, port: number, data: Uint8Array): Promise<void> {
    const address = await targetAddress(target, (name, signal) => this.#resolve(name, signal), undefined);
    if (isBroadcast(address)) throw new PilotError("transport_broadcast", BROADCAST_REFUSED);
    if (data.byteLength > MAX_PAYLOAD) {
      throw new PilotError(
        "transport_datagram_too_large",
        `datagram of ${data.byteLength} bytes exceeds ${MAX_PAYLOAD}`,
        { hint: "split the data or use a stream" },
      );
    }
    await this.#control.sendTo(address, port, data);
  }

  /** Datagrams received from now on (all ports, or `options.port`), until closed. */
  datagrams(options: DatagramReceiverOptions = {}): DatagramReceiver {
    const receiver = new DatagramReceiver((push) => {
      this.#pushers.add(push);
      return () => this.#pushers.delete(push);
    }, options);
    if (this.#closing !== undefined) receiver.close();
    else this.#receivers.add(receiver);
    return receiver;
  }

  /** The address the registry holds for `hostname`. @throws {PilotError} `not_found`. */
  async resolveHostname(hostname: string, options: { signal?: AbortSignal } = {}): Promise<Address> {
    return await this.#resolve(hostname, options.signal);
  }

  /** Closes every listener, connection and receiver of this client, then its sessions. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const receiver of this.#receivers) receiver.close();
      this.#receivers.clear();
      const ends: Promise<void>[] = [];
      for (const listener of this.#listeners) {
        listener.closeAll();
        ends.push(listener.closed);
      }
      for (const conn of this.#conns) {
        conn.close();
        ends.push(conn.closed);
      }
      // Sessions still mid-dial or mid-bind: ending them settles those calls.
      for (const session of this.#sessions) ends.push(session.close());
      await Promise.all(ends);
      await Promise.all(this.#recycling); // each settles once its session has closed
      await this.#control.close();
      await this.#datagramLoop;
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #session(signal?: AbortSignal): Promise<IpcClient> {
    if (this.#closing !== undefined) throw new PilotError("ipc_closed", "pilot client closed");
    const ipc = await IpcClient.connect(this.socket, {
      logger: this.#log,
      signal,
      onError: (error) => this.#log.warn("daemon reported an error", { error: error.message }),
    });
    this.#sessions.add(ipc);
    if (this.#closing !== undefined) {
      await this.#endSession(ipc);
      throw new PilotError("ipc_closed", "pilot client closed");
    }
    return ipc;
  }

  /** An idle dial session that is still open, else a new one. */
  async #dialSession(signal: AbortSignal): Promise<IpcClient> {
    for (let idle = this.#idle.pop(); idle !== undefined; idle = this.#idle.pop()) {
      if (idle.isOpen) return idle;
      await this.#endSession(idle); // the daemon went away while it waited
    }
    return await this.#session(signal);
  }

  /**
   * Sends Close for conn `connId` and resolves once it is on the socket; in the background, the
   * session joins the pool when the daemon answers, or ends (which closes the conn too, §9.6) when it
   * does not answer in time, fails, or the pool is full.
   */
  async #closeAndRecycle(session: IpcClient, connId: number): Promise<void> {
    const give = new AbortController();
    const timer = setTimeout(() => give.abort(), CLOSE_ANSWER_MS);
    Deno.unrefTimer(timer);
    const { sent, answered } = session.sendClose(connId, { signal: give.signal });
    const recycled = answered.then(() => {
      session.forget(connId);
      if (this.#closing !== undefined || this.#idle.length >= IDLE_SESSIONS) return this.#endSession(session);
      this.#idle.push(session);
    }).catch(() => this.#endSession(session)).finally(() => clearTimeout(timer));
    this.#recycling.add(recycled);
    void recycled.finally(() => this.#recycling.delete(recycled));
    try {
      await sent;
    } catch {
      await recycled; // the frame did not go out: the session has ended, which closes the conn
    }
  }

  async #endSession(ipc: IpcClient): Promise<void> {
    this.#sessions.delete(ipc);
    const idle = this.#idle.indexOf(ipc);
    if (idle !== -1) this.#idle.splice(idle, 1);
    await ipc.close();
  }

  async #bind(ipc: IpcClient, port: number, justUnbound: boolean): Promise<void> {
    for (const delayMs of justUnbound ? REBIND_DELAYS_MS : []) {
      try {
        await ipc.bind(port);
        return;
      } catch (err) {
        if (!isPilotError(err, "ipc_error") || !/already bound/.test(err.message)) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    await ipc.bind(port);
  }

  async #resolve(hostname: string, signal: AbortSignal | undefined): Promise<Address> {
    let reply: unknown;
    try {
      reply = await this.#control.resolveHostname(hostname, { signal });
    } catch (err) {
      if (!isPilotError(err, "ipc_error")) throw err;
      throw new PilotError("not_found", `cannot resolve hostname ${hostname}: ${err.message}`, {
        cause: err,
        hint: "check the name with: pilotctl find <hostname>",
      });
    }
    return parseResolved(reply, hostname);
  }

  async #pumpDatagrams(): Promise<void> {
    // Bounded by the control session: its end rejects recvFrom.
    for (;;) {
      let d;
      try {
        d = await this.#control.recvFrom();
      } catch {
        return; // closed, or the daemon went away: no more datagrams either way
      }
      const datagram: Datagram = { src: d.srcAddress, srcPort: d.srcPort, dstPort: d.dstPort, data: d.data };
      for (const push of this.#pushers) push(datagram);
    }
  }
}

/** `PILOT_SOCKET` when set and readable under the permissions in force. */
function socketFromEnvironment(): string | undefined {
  try {
    const value = Deno.env.get("PILOT_SOCKET");
    return value === undefined || value === "" ? undefined : value;
  } catch {
    // NotCapable: the program may not read this variable, so it plays no part (as in the CLI).
    return undefined;
  }
}

function parseInfoAddress(info: unknown): Address {
  const address = isRecord(info) ? info.address : undefined;
  if (typeof address !== "string") {
    throw new PilotError("ipc_bad_reply", "info: field address is not a string");
  }
  try {
    return parseAddress(address);
  } catch (err) {
    throw new PilotError(
      "ipc_bad_reply",
      `info: field address: ${err instanceof Error ? err.message : err}`,
      { cause: err },
    );
  }
}

function parseResolved(reply: unknown, hostname: string): Address {
  if (!isRecord(reply)) throw new PilotError("ipc_bad_reply", `resolve_hostname ${hostname}: not an object`);
  if (typeof reply.address === "string") {
    try {
      return parseAddress(reply.address);
    } catch {
      // An older daemon may answer with the node id only: that node lives in network 0.
    }
  }
  const node = reply.node_id;
  if (typeof node === "number" && Number.isInteger(node) && node >= 0 && node <= 0xFFFFFFFF) {
    return { network: 0, node };
  }
  throw new PilotError("ipc_bad_reply", `resolve_hostname ${hostname}: field address is not an address`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
