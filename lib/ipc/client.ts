/**
 * The driver side of IPC (control.md §9), used by pilotctl and by SDK users outside the daemon: one
 * unix-socket connection, request/reply helpers, and queues for what the daemon pushes (accepted
 * connections per port, stream data per connection, datagrams). Finding the socket path (PILOT_SOCKET,
 * config) is the CLI's job. Replies are matched by reply_matcher.ts.
 *
 * Errors: a daemon Error becomes `PilotError("ipc_error", <daemon text>)`; a lost socket fails every
 * wait with `ipc_disconnected` ("daemon disconnected"); an aborted wait rejects with the signal's reason
 * (`timeout` for `AbortSignal.timeout`).
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import { type Address, MAX_PAYLOAD } from "../protocol/mod.ts";
import { abortReason, AsyncQueue } from "./_queue.ts";
import { ACCEPT_QUEUE, IPC_COMMANDS, RECV_BUFFER_BYTES, RECV_FROM_QUEUE } from "./constants.ts";
import { encodeIpcFrames, IpcFrameDecoder } from "./frame_stream.ts";
import { FrameWriter, readFrames } from "./frame_socket.ts";
import type { IpcHandshakeSub } from "./handshake.ts";
import {
  decodeIpcMessage,
  IPC_KIND_CODES,
  type IpcMessage,
  type IpcReply,
  type IpcRequest,
} from "./messages.ts";
import { type PendingRequest, ReplyMatcher } from "./reply_matcher.ts";

/** Options of {@linkcode IpcClient.connect}. */
export interface IpcClientOptions {
  logger?: Logger;
  /** Aborts the connect attempt. */
  signal?: AbortSignal;
  /** Error frames no request claims, e.g. the failure of a Send. Logged at warn when not given. */
  onError?: (error: PilotError) => void;
}

/** Options of each request. */
export interface IpcRequestOptions {
  /** Gives up waiting; the reply, when it comes, is consumed and dropped. */
  signal?: AbortSignal;
}

/** An incoming connection on a bound port (Accept push). */
export interface IpcAccepted {
  readonly localPort: number;
  readonly connId: number;
  readonly remoteAddress: Address;
  readonly remotePort: number;
}

/** A datagram delivered to this client (RecvFrom push). */
export interface IpcDatagram {
  readonly srcAddress: Address;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly data: Uint8Array;
}

// Ids of connections whose end was delivered; a late duplicate CloseOK must not revive them (§9.5).
const FINISHED_MEMORY = 4096;

/** One IPC connection to the daemon. */
export class IpcClient implements AsyncDisposable {
  #conn: Deno.UnixConn;
  #frames: FrameWriter;
  #log: Logger;
  #onError?: (error: PilotError) => void;
  #matcher = new ReplyMatcher();
  #streams = new Map<number, AsyncQueue<Uint8Array>>();
  #finished = new Set<number>();
  #sendErrors = new Map<number, PilotError>();
  #accepts = new Map<number, AsyncQueue<IpcAccepted>>();
  #datagrams = new AsyncQueue<IpcDatagram>(RECV_FROM_QUEUE);
  #bufferedBytes = 0;
  #resume: PromiseWithResolvers<void> | null = null;
  #failure: PilotError | null = null;
  #readLoop: Promise<void>;

  private constructor(conn: Deno.UnixConn, options: IpcClientOptions) {
    this.#conn = conn;
    this.#frames = new FrameWriter(conn);
    this.#log = options.logger ?? NULL_LOGGER;
    this.#onError = options.onError;
    this.#readLoop = this.#read();
  }

  /**
   * Connects to the daemon's socket at `path`.
   *
   * @example
   * ```ts ignore
   * await using ipc = await IpcClient.connect("/tmp/pilot.sock");
   * const info = await ipc.info({ signal: AbortSignal.timeout(5000) });
   * ```
   */
  static async connect(path: string, options: IpcClientOptions = {}): Promise<IpcClient> {
    options.signal?.throwIfAborted();
    let conn: Deno.UnixConn;
    try {
      conn = await Deno.connect({ transport: "unix", path });
    } catch (err) {
      throw new PilotError(
        "ipc_connect_failed",
        `connect to ${path}: ${err instanceof Error ? err.message : err}`,
        {
          cause: err,
        },
      );
    }
    if (options.signal?.aborted) {
      conn.close();
      throw abortReason(options.signal, "ipc connect");
    }
    return new IpcClient(conn, options);
  }

  /** Binds `port` for this client; resolves with the port from BindOK. */
  async bind(port: number, options?: IpcRequestOptions): Promise<number> {
    const reply = await this.#request({ kind: "bind", port }, IPC_COMMANDS.BIND_OK, options);
    return reply.kind === "bind_ok" ? reply.port : port;
  }

  /** Opens a stream to `address`:`port`; resolves with the conn id. */
  async dial(address: Address, port: number, options?: IpcRequestOptions): Promise<number> {
    const reply = await this.#request({ kind: "dial", address, port }, IPC_COMMANDS.DIAL_OK, options);
    if (reply.kind !== "dial_ok") throw new Error(`dial answered by ${reply.kind}`);
    this.#stream(reply.connId);
    return reply.connId;
  }

  /** Closes conn `connId` and waits for its CloseOK (the reference CLI hangs here: §9.5 Quirk). */
  async closeConnection(connId: number, options?: IpcRequestOptions): Promise<void> {
    await this.sendClose(connId, options).answered;
  }

  /**
   * Closes conn `connId` as {@linkcode closeConnection} does, and also says when the Close frame is on
   * the socket: `sent` resolves then (the daemon will run it after every earlier frame), `answered`
   * once the CloseOK has come. Both reject as `closeConnection` would.
   */
  sendClose(connId: number, options?: IpcRequestOptions): { sent: Promise<void>; answered: Promise<void> } {
    const sent = Promise.withResolvers<void>();
    sent.promise.catch(() => {}); // a caller may watch only `answered`, which rejects the same way
    const answered = (async () => {
      try {
        await this.#request({ kind: "close", connId }, IPC_COMMANDS.CLOSE_OK, options, connId, sent.resolve);
      } catch (err) {
        sent.reject(err);
        throw err;
      }
      const stream = this.#streams.get(connId);
      if (stream !== undefined && stream.isEnded && stream.size === 0) this.#finish(connId);
    })();
    return { sent: sent.promise, answered };
  }

  /**
   * Drops what is still buffered for conn `connId` and ignores whatever arrives for it later: for a
   * connection its owner has closed and will not read again, on a session that lives on.
   */
  forget(connId: number): void {
    const stream = this.#streams.get(connId);
    for (const chunk of stream?.drain() ?? []) this.#bufferedBytes -= chunk.byteLength;
    stream?.end();
    this.#finish(connId);
    if (this.#resume !== null && this.#bufferedBytes <= RECV_BUFFER_BYTES / 2) this.#resume.resolve();
  }

  /** The daemon's status object (§9.3), parsed. */
  info(options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "info" }, IPC_COMMANDS.INFO_OK, options);
  }

  /** A handshake sub-command (§9.4); resolves with the HandshakeOK object. */
  handshake(sub: IpcHandshakeSub, options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "handshake", ...sub }, IPC_COMMANDS.HANDSHAKE_OK, options);
  }

  /** The registry's `resolve_hostname_ok` object for `hostname`. */
  resolveHostname(hostname: string, options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "resolve_hostname", hostname }, IPC_COMMANDS.RESOLVE_HOSTNAME_OK, options);
  }

  /** Sets the hostname (empty clears it). */
  setHostname(hostname: string, options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "set_hostname", hostname }, IPC_COMMANDS.SET_HOSTNAME_OK, options);
  }

  /** Makes the node public or private. */
  setVisibility(isPublic: boolean, options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "set_visibility", public: isPublic }, IPC_COMMANDS.SET_VISIBILITY_OK, options);
  }

  /** Removes the node from the registry. */
  deregister(options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "deregister" }, IPC_COMMANDS.DEREGISTER_OK, options);
  }

  /** Replaces the node's tags (the daemon refuses more than 3). */
  setTags(tags: readonly string[], options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "set_tags", tags }, IPC_COMMANDS.SET_TAGS_OK, options);
  }

  /** Sets the webhook URL (empty disables it). */
  setWebhook(url: string, options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "set_webhook", url }, IPC_COMMANDS.SET_WEBHOOK_OK, options);
  }

  /** Enables or disables task execution. */
  setTaskExec(enabled: boolean, options?: IpcRequestOptions): Promise<unknown> {
    return this.#json({ kind: "set_task_exec", enabled }, IPC_COMMANDS.SET_TASK_EXEC_OK, options);
  }

  /**
   * Writes `data` on conn `connId`; any size works, split into frames of at most 1 MiB (the reference
   * driver does not split, §9.5). Resolves once written; there is no success reply, and a failure
   * arrives later: it fails the next `send` and `recv` on that conn and reaches `onError`.
   */
  async send(connId: number, data: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    const sendError = this.#sendErrors.get(connId);
    if (sendError !== undefined) throw sendError;
    if (data.byteLength === 0) return;
    const chunks = encodeIpcFrames({ kind: "send", connId, data });
    this.#matcher.addSend("send", connId);
    await this.#write(chunks);
  }

  /** Sends one datagram; `data` is at most 65,535 bytes (one packet payload), so it always fits a frame. */
  async sendTo(address: Address, port: number, data: Uint8Array): Promise<void> {
    this.#throwIfFailed();
    if (data.byteLength > MAX_PAYLOAD) {
      throw new PilotError(
        "ipc_datagram_too_large",
        `datagram of ${data.byteLength} bytes (max ${MAX_PAYLOAD})`,
        {
          hint: "send larger data over a stream connection",
        },
      );
    }
    const chunks = encodeIpcFrames({ kind: "send_to", address, port, data });
    this.#matcher.addSend("send_to", 0);
    await this.#write(chunks);
  }

  /** The next connection accepted on bound `port`. */
  async accept(port: number, options?: IpcRequestOptions): Promise<IpcAccepted> {
    const next = await this.#acceptQueue(port).take(options?.signal);
    if (next === undefined) throw this.#failure ?? new PilotError("ipc_closed", "ipc client closed");
    return next;
  }

  /** The next chunk of conn `connId` (as the daemon framed it), or `null` at end of stream. */
  async recv(connId: number, options?: IpcRequestOptions): Promise<Uint8Array | null> {
    if (this.#finished.has(connId)) return null;
    const stream = this.#stream(connId);
    const chunk = await stream.take(options?.signal);
    if (chunk === undefined) {
      this.#finish(connId);
      return null;
    }
    this.#bufferedBytes -= chunk.byteLength;
    if (this.#resume !== null && this.#bufferedBytes <= RECV_BUFFER_BYTES / 2) this.#resume.resolve();
    return chunk;
  }

  /** The next datagram pushed to this client (the daemon pushes every datagram to every client). */
  async recvFrom(options?: IpcRequestOptions): Promise<IpcDatagram> {
    const next = await this.#datagrams.take(options?.signal);
    if (next === undefined) throw this.#failure ?? new PilotError("ipc_closed", "ipc client closed");
    return next;
  }

  /** True until the connection ended, for whatever reason. */
  get isOpen(): boolean {
    return this.#failure === null;
  }

  /** Resolves when the connection has ended, for whatever reason. */
  get closed(): Promise<void> {
    return this.#readLoop;
  }

  /** Closes the socket; the daemon then closes this client's connections and ports (§9.6). */
  async close(): Promise<void> {
    this.#fail(new PilotError("ipc_closed", "ipc client closed"));
    await this.#readLoop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #json(msg: IpcRequest, replyCode: number, options?: IpcRequestOptions): Promise<unknown> {
    const reply = await this.#request(msg, replyCode, options);
    return "json" in reply ? reply.json : undefined;
  }

  async #request(
    msg: IpcRequest,
    replyCode: number,
    options?: IpcRequestOptions,
    connId?: number,
    onWritten?: () => void,
  ): Promise<IpcReply> {
    this.#throwIfFailed();
    const signal = options?.signal;
    if (signal?.aborted) throw abortReason(signal, msg.kind);
    const chunks = encodeIpcFrames(msg);
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    // Awaited below, after the write; marked handled now so a rejection meanwhile is not "uncaught".
    promise.catch(() => {});
    const pending: PendingRequest = { replyCode, connId, abandoned: false, resolve, reject };
    // Recorded and queued in the same tick, so the FIFO order is the order on the wire.
    this.#matcher.addRequest(pending);
    const written = this.#write(chunks);
    const onAbort = () => {
      pending.abandoned = true;
      if (signal !== undefined) reject(abortReason(signal, msg.kind));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await written;
      onWritten?.();
      const reply = await promise;
      if (!isReply(reply)) throw new Error(`${msg.kind} settled without a reply`);
      return reply;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async #write(chunks: Uint8Array[]): Promise<void> {
    try {
      await this.#frames.write(chunks);
    } catch (err) {
      const failure = new PilotError("ipc_disconnected", "daemon disconnected", { cause: err });
      this.#fail(failure);
      throw this.#failure ?? failure;
    }
  }

  async #read(): Promise<void> {
    let failure = new PilotError("ipc_disconnected", "daemon disconnected");
    try {
      await readFrames(this.#conn, new IpcFrameDecoder(), (event) => {
        if (event.type === "body") this.#dispatch(event.body); // else never: the decoder is in "error" mode
        if (this.#bufferedBytes > RECV_BUFFER_BYTES && this.#failure === null) return this.#paused();
        return this.#failure === null;
      });
    } catch (err) {
      if (err instanceof PilotError && err.code.startsWith("ipc_frame")) {
        failure = new PilotError("ipc_disconnected", `daemon disconnected: ${err.message}`, { cause: err });
      }
    } finally {
      this.#fail(failure);
    }
  }

  // Readers are behind: stop reading until they catch up (see RECV_BUFFER_BYTES).
  async #paused(): Promise<boolean> {
    this.#resume = Promise.withResolvers<void>();
    await this.#resume.promise;
    this.#resume = null;
    return this.#failure === null;
  }

  #dispatch(body: Uint8Array): void {
    let msg: IpcMessage;
    try {
      msg = decodeIpcMessage(body);
    } catch (err) {
      if (!(err instanceof PilotError)) throw err;
      // A reply we cannot read still answers its request, so later replies stay matched.
      const request = this.#matcher.takeReply(body[0]);
      if (request !== undefined && !request.abandoned) request.reject(err);
      else this.#unclaimed(err);
      return;
    }
    switch (msg.kind) {
      case "accept": {
        const { localPort, connId, remoteAddress, remotePort } = msg;
        this.#stream(connId);
        if (!this.#acceptQueue(localPort).push({ localPort, connId, remoteAddress, remotePort })) {
          this.#log.warn("ipc accept queue full, closing connection", { port: localPort, conn_id: connId });
          void this.closeConnection(connId).catch(() => {/* best effort: the client may be closing */});
        }
        return;
      }
      case "recv":
        if (this.#finished.has(msg.connId)) return;
        if (this.#stream(msg.connId).push(msg.data)) this.#bufferedBytes += msg.data.byteLength;
        return;
      case "recv_from": {
        const { srcAddress, srcPort, dstPort, data } = msg;
        if (!this.#datagrams.push({ srcAddress, srcPort, dstPort, data })) {
          this.#log.debug("ipc datagram dropped: queue full", { dst_port: dstPort });
        }
        return;
      }
      case "close_ok": {
        // Every CloseOK ends the stream (the end-of-stream push and the reply to Close look alike, §9.5).
        if (!this.#finished.has(msg.connId)) this.#stream(msg.connId).end();
        this.#answer(msg, msg.connId);
        return;
      }
      case "error": {
        const error = new PilotError("ipc_error", msg.message);
        const target = this.#matcher.takeError(msg.message);
        if (target.to === "request") {
          if (!target.request.abandoned) target.request.reject(error);
        } else {
          if (target.to === "send" && target.kind === "send" && !this.#finished.has(target.connId)) {
            this.#sendErrors.set(target.connId, error);
            this.#stream(target.connId).end(error);
          }
          this.#unclaimed(error);
        }
        return;
      }
      default:
        this.#answer(msg);
    }
  }

  #answer(msg: IpcMessage, connId?: number): void {
    const request = this.#matcher.takeReply(IPC_KIND_CODES[msg.kind], connId);
    if (request === undefined) {
      if (msg.kind !== "close_ok") this.#log.debug("ipc reply without a request", { kind: msg.kind });
      return;
    }
    if (!request.abandoned) request.resolve(msg);
  }

  #unclaimed(error: PilotError): void {
    if (this.#onError !== undefined) this.#onError(error);
    else this.#log.warn("ipc error without a request", { error: error.message });
  }

  #stream(connId: number): AsyncQueue<Uint8Array> {
    let stream = this.#streams.get(connId);
    if (stream === undefined) {
      stream = new AsyncQueue<Uint8Array>();
      if (this.#failure !== null) stream.end(this.#failure);
      this.#streams.set(connId, stream);
    }
    return stream;
  }

  #acceptQueue(port: number): AsyncQueue<IpcAccepted> {
    let queue = this.#accepts.get(port);
    if (queue === undefined) {
      queue = new AsyncQueue<IpcAccepted>(ACCEPT_QUEUE);
      if (this.#failure !== null) queue.end(this.#failure);
      this.#accepts.set(port, queue);
    }
    return queue;
  }

  // The stream's end was seen by its reader (or its closer): forget it, but remember the id.
  #finish(connId: number): void {
    this.#streams.delete(connId);
    this.#sendErrors.delete(connId);
    this.#finished.add(connId);
    if (this.#finished.size > FINISHED_MEMORY) {
      const oldest = this.#finished.values().next();
      if (!oldest.done) this.#finished.delete(oldest.value);
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) throw this.#failure;
  }

  // First failure wins: it closes the socket and fails every waiter with the same error.
  #fail(failure: PilotError): void {
    if (this.#failure !== null) return;
    this.#failure = failure;
    this.#resume?.resolve();
    for (const request of this.#matcher.drain()) if (!request.abandoned) request.reject(failure);
    for (const stream of this.#streams.values()) stream.end(failure);
    for (const queue of this.#accepts.values()) queue.end(failure);
    this.#datagrams.end(failure);
    this.#frames.fail(failure);
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after a read or write error.
    }
  }
}

function isReply(value: unknown): value is IpcReply {
  return typeof value === "object" && value !== null && "kind" in value;
}
