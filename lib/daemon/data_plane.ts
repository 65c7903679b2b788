/**
 * The IPC commands that move data (control.md §9.2, §9.5, §9.6): Bind, Dial, Send, Close and SendTo,
 * and the pushes they cause (Accept, Recv, the end-of-stream CloseOK, RecvFrom). A port belongs to the
 * IPC client that bound it and a connection to the client that dialled or accepted it; when a client
 * goes away its connections are closed and its ports unbound. Connection ids are daemon-wide, but a
 * client can send on or close only its own connections: another client's id is "not found", so one
 * local program cannot cut another's streams by guessing small numbers.
 *
 * @module
 */

import { errorText, isPilotError, PilotError } from "../errors.ts";
import type { IpcRequest, IpcSession } from "../ipc/mod.ts";
import type { Logger } from "../log.ts";
import type { Datagram, OverlayConn, OverlayListener, Stack } from "../transport/mod.ts";
import type { DataPlaneCommands } from "./ipc_handler.ts";

/** First read buffer of a connection's pump to its IPC client; it doubles up to the maximum. */
const PUMP_BUFFER_MIN_BYTES = 16 * 1024;
const PUMP_BUFFER_MAX_BYTES = 256 * 1024;

/** What one IPC client owns. */
interface ClientResources {
  readonly listeners: Map<number, OverlayListener<OverlayConn>>;
  readonly conns: Map<number, OverlayConn>;
}

/** Options of {@linkcode DataPlane}. */
export interface DataPlaneOptions {
  stack: Stack;
  /** Every IPC client, for RecvFrom pushes (§9.5: datagrams go to all of them). */
  sessions: () => Iterable<IpcSession>;
  /** Handles the trust sub-commands (port 444 and the registry relay). */
  handshake: (msg: Extract<IpcRequest, { kind: "handshake" }>) => Promise<unknown>;
  logger: Logger;
}

/** The stream and datagram side of the IPC server. */
export class DataPlane implements DataPlaneCommands {
  #stack: Stack;
  #sessions: () => Iterable<IpcSession>;
  #handshake: DataPlaneOptions["handshake"];
  #log: Logger;
  #clients = new Map<IpcSession, ClientResources>();
  #owners = new Map<number, IpcSession>();
  #unsubscribe: () => void;

  constructor(options: DataPlaneOptions) {
    this.#stack = options.stack;
    this.#sessions = options.sessions;
    this.#handshake = options.handshake;
    this.#log = options.logger;
    this.#unsubscribe = this.#stack.subscribeDatagrams((datagram) => this.#pushDatagram(datagram));
  }

  async handle(client: IpcSession, msg: IpcRequest): Promise<void> {
    switch (msg.kind) {
      case "bind":
        return await this.#bind(client, msg.port);
      case "dial":
        return await this.#dial(client, msg.address, msg.port);
      case "send":
        return await this.#send(client, msg.connId, msg.data);
      case "close":
        this.#connOf(client, msg.connId)?.close();
        await client.send({ kind: "close_ok", connId: msg.connId });
        return;
      case "send_to":
        try {
          await this.#stack.sendDatagram(msg.address, msg.port, msg.data);
        } catch (err) {
          throw new PilotError("ipc_error", `sendto: ${errorText(err)}`, { cause: err });
        }
        return;
      case "handshake":
        await client.send({ kind: "handshake_ok", json: await this.#handshake(msg) });
        return;
      default:
        throw new PilotError("ipc_error", `${msg.kind}: not a data-plane command`);
    }
  }

  /** §9.6: closes the client's connections and unbinds its ports. */
  clientClosed(client: IpcSession): Promise<void> {
    const resources = this.#clients.get(client);
    this.#clients.delete(client);
    if (resources === undefined) return Promise.resolve();
    for (const listener of resources.listeners.values()) listener.close();
    for (const [id, conn] of resources.conns) {
      this.#owners.delete(id);
      conn.close();
    }
    return Promise.resolve();
  }

  /** Stops pushing datagrams; connections end with the stack. */
  close(): void {
    this.#unsubscribe();
  }

  async #bind(client: IpcSession, port: number): Promise<void> {
    let listener: OverlayListener<OverlayConn>;
    try {
      listener = this.#stack.listen(port);
    } catch (err) {
      if (isPilotError(err, "transport_port_bound")) throw new PilotError("ipc_error", err.message);
      throw new PilotError("ipc_error", `bind: ${errorText(err)}`, { cause: err });
    }
    this.#resources(client).listeners.set(port, listener);
    await client.send({ kind: "bind_ok", port });
    void this.#acceptLoop(client, port, listener);
  }

  async #acceptLoop(client: IpcSession, port: number, listener: OverlayListener<OverlayConn>): Promise<void> {
    try {
      for await (const conn of listener) {
        if (!client.isOpen) {
          conn.close();
          break;
        }
        this.#adopt(client, conn);
        const pushed = await client.send({
          kind: "accept",
          localPort: port,
          connId: conn.id,
          remoteAddress: conn.remoteAddr.address,
          remotePort: conn.remoteAddr.port,
        });
        if (!pushed) break;
        void this.#pump(client, conn);
      }
    } catch (err) {
      if (!isPilotError(err)) throw err;
      // The listener was closed (client gone or daemon stopping): nothing is waiting on it.
    } finally {
      listener.close();
    }
  }

  async #dial(client: IpcSession, address: { network: number; node: number }, port: number): Promise<void> {
    let conn: OverlayConn;
    try {
      conn = await this.#stack.dial(address, port, { signal: client.signal });
    } catch (err) {
      // The reference's texts stand alone ("connection refused", "dial timeout", "resolve node N: …").
      throw new PilotError("ipc_error", errorText(err), { cause: err });
    }
    this.#adopt(client, conn);
    await client.send({ kind: "dial_ok", connId: conn.id });
    void this.#pump(client, conn);
  }

  async #send(client: IpcSession, connId: number, data: Uint8Array): Promise<void> {
    const conn = this.#connOf(client, connId);
    if (conn === undefined) throw new PilotError("ipc_error", `connection ${connId} not found`);
    try {
      for (let offset = 0; offset < data.byteLength;) offset += await conn.write(data.subarray(offset));
    } catch (err) {
      const text = conn.state === "SYN_SENT" ? "connection not established" : "connection closed";
      throw new PilotError("ipc_error", `send: ${text}`, { cause: err });
    }
  }

  /** Pushes the connection's data as Recv frames, then one CloseOK at the end of the stream (§9.5). */
  async #pump(client: IpcSession, conn: OverlayConn): Promise<void> {
    // Starts small and doubles while reads fill it: a thousand quiet connections each holding a
    // 256 KiB buffer cost a daemon 256 MB before one byte arrived.
    let buffer = new Uint8Array(PUMP_BUFFER_MIN_BYTES);
    try {
      for (;;) {
        const n = await conn.read(buffer);
        if (n === null) break;
        // The frame is written before the next read refills the buffer: send() resolves once queued.
        if (!await client.send({ kind: "recv", connId: conn.id, data: buffer.slice(0, n) })) break;
        if (n === buffer.byteLength && n < PUMP_BUFFER_MAX_BYTES) buffer = new Uint8Array(n * 2);
      }
    } catch (err) {
      if (!isPilotError(err)) throw err;
      this.#log.debug("connection ended", { conn_id: conn.id, reason: err.code });
    } finally {
      this.#owners.delete(conn.id);
      this.#clients.get(client)?.conns.delete(conn.id);
      await client.send({ kind: "close_ok", connId: conn.id });
    }
  }

  #pushDatagram(datagram: Datagram): void {
    for (const session of this.#sessions()) {
      void session.send({
        kind: "recv_from",
        srcAddress: datagram.src,
        srcPort: datagram.srcPort,
        dstPort: datagram.dstPort,
        data: datagram.data,
      });
    }
  }

  #adopt(client: IpcSession, conn: OverlayConn): void {
    this.#resources(client).conns.set(conn.id, conn);
    this.#owners.set(conn.id, client);
  }

  #connOf(client: IpcSession, connId: number): OverlayConn | undefined {
    return this.#owners.get(connId) === client ? this.#clients.get(client)?.conns.get(connId) : undefined;
  }

  #resources(client: IpcSession): ClientResources {
    let resources = this.#clients.get(client);
    if (resources === undefined) {
      resources = { listeners: new Map(), conns: new Map() };
      this.#clients.set(client, resources);
    }
    return resources;
  }
}
