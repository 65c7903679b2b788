/**
 * The daemon side of IPC (control.md §9): a unix-socket listener that decodes each client's frames and
 * hands the requests, one at a time per client (§9.5), to a handler the daemon supplies. What a command
 * does is the handler's business; this module owns the socket file, framing, malformed input, ordered
 * writes and the end of a client (§9.6).
 *
 * Malformed input is answered, never fatal: an unknown or reply-only code gets `unknown command: 0xNN`,
 * a short or bad payload the daemon's error text, and (our deviation from the reference, which drops
 * the connection) an oversized frame gets `frame too large: …` while its body is skipped.
 *
 * @module
 */

import { errorText, isPilotError, PilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import { IPC_ERROR_CODE } from "./constants.ts";
import { encodeIpcFrames, IpcFrameDecoder, oversizedFrameText } from "./frame_stream.ts";
import { FrameWriter, readFrames } from "./frame_socket.ts";
import {
  decodeIpcMessage,
  IPC_KIND_CODES,
  type IpcMessage,
  type IpcRequest,
  isRequestCode,
  unknownCommandText,
} from "./messages.ts";

/** What the daemon plugs into {@linkcode IpcServer}. */
export interface IpcHandler {
  /**
   * Runs one request. The next request of the same client waits until the returned promise settles
   * (§9.5); pushes may be sent at any time through `client.send`. A thrown `PilotError` is answered
   * with an Error frame carrying its message, so handlers throw the daemon's texts as they stand.
   */
  handleMessage(client: IpcSession, msg: IpcRequest): void | Promise<void>;
  /** Called once after a client's connection ended, for any reason: close its streams, unbind its ports. */
  onClientClosed?(client: IpcSession): void | Promise<void>;
}

/** Options of {@linkcode IpcServer.listen}. */
export interface IpcServerOptions {
  /** Socket path; an existing file there is deleted first (§9.1). */
  path: string;
  handler: IpcHandler;
  logger?: Logger;
}

/** One connected driver, as the handler sees it. */
export class IpcSession {
  /** Daemon-wide number of this client, for logs and for keying the client's resources. */
  readonly id: number;
  #conn: Deno.UnixConn;
  #frames: FrameWriter;
  #abort = new AbortController();

  /** @internal Built by {@linkcode IpcServer}. */
  constructor(id: number, conn: Deno.UnixConn) {
    this.id = id;
    this.#conn = conn;
    this.#frames = new FrameWriter(conn);
  }

  /** Aborted when the client is gone; slow commands can give up on it. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** True until the connection ended or {@linkcode close} ran. */
  get isOpen(): boolean {
    return !this.#abort.signal.aborted;
  }

  /**
   * Queues `msg` behind earlier writes and resolves once it is written: `true`, or `false` when the
   * client is gone (pushes to a dead client fail silently, §9.6). Await it for backpressure. Recv data
   * of any length is split into frames that fit.
   */
  async send(msg: IpcMessage): Promise<boolean> {
    if (!this.isOpen) return false;
    const chunks = encodeIpcFrames(msg);
    try {
      // One queued write per message, so concurrent sends never interleave inside a message.
      await this.#frames.write(chunks);
      return true;
    } catch {
      this.close(); // the peer went away mid-write; the read side will notice and end the session
      return false;
    }
  }

  /** Sends an Error frame with `message` (code 1, as the reference). */
  sendError(message: string): Promise<boolean> {
    return this.send({ kind: "error", code: IPC_ERROR_CODE, message });
  }

  /** Ends the connection; the session's loop then reports it through `onClientClosed`. Idempotent. */
  close(): void {
    if (!this.isOpen) return;
    const reason = new PilotError("ipc_closed", `ipc client ${this.id} closed`);
    this.#abort.abort(reason);
    this.#frames.fail(reason);
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime after a failed read or write: nothing left to release.
    }
  }

  /** @internal Reads the client's bytes into `buffer` (the server's frame loop). */
  read(buffer: Uint8Array): Promise<number | null> {
    return this.#conn.read(buffer);
  }
}

/**
 * Listens on a unix socket for drivers.
 *
 * @example
 * ```ts ignore
 * await using server = await IpcServer.listen({ path: "/tmp/pilot.sock", handler });
 * ```
 */
export class IpcServer implements AsyncDisposable {
  /** The socket path. */
  readonly path: string;
  #listener: Deno.UnixListener;
  #handler: IpcHandler;
  #log: Logger;
  #sessions = new Set<IpcSession>();
  #loops = new Set<Promise<void>>();
  #acceptLoop: Promise<void>;
  #nextId = 1;
  #closed = false;

  private constructor(listener: Deno.UnixListener, options: IpcServerOptions) {
    this.path = options.path;
    this.#listener = listener;
    this.#handler = options.handler;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#acceptLoop = this.#accept();
  }

  /** Deletes a stale file at `path`, listens, then restricts the socket to its owner (mode 0600, §9.1). */
  static async listen(options: IpcServerOptions): Promise<IpcServer> {
    try {
      await Deno.remove(options.path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        throw new PilotError("ipc_listen_failed", `remove stale socket ${options.path}: ${errorText(err)}`, {
          cause: err,
        });
      }
    }
    let listener: Deno.UnixListener;
    try {
      listener = Deno.listen({ transport: "unix", path: options.path });
    } catch (err) {
      throw new PilotError("ipc_listen_failed", `listen on ${options.path}: ${errorText(err)}`, {
        cause: err,
      });
    }
    try {
      await Deno.chmod(options.path, 0o600);
    } catch (err) {
      listener.close();
      throw new PilotError("ipc_listen_failed", `chmod ${options.path}: ${errorText(err)}`, { cause: err });
    }
    return new IpcServer(listener, options);
  }

  /** Clients connected now. */
  get sessions(): ReadonlySet<IpcSession> {
    return this.#sessions;
  }

  /**
   * Stops listening, ends every client (each reported to `onClientClosed`) and deletes the socket file.
   * Waits for requests still running; handlers of slow commands should give up on `client.signal`.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // The accept loop already ended on a listener error: it is closed either way.
    }
    await this.#acceptLoop;
    for (const session of this.#sessions) session.close();
    await Promise.all(this.#loops);
    try {
      await Deno.remove(this.path);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        this.#log.warn("ipc socket not removed", { error: errorText(err) });
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    this.#log.info("IPC listening", { socket: this.path });
    // Bounded by the listener: close() makes accept() reject with BadResource and ends the loop.
    while (!this.#closed) {
      let conn: Deno.UnixConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        // EMFILE and the like: keep serving the clients we have, try again shortly.
        this.#log.warn("ipc accept failed", { error: errorText(err) });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const session = new IpcSession(this.#nextId++, conn);
      this.#sessions.add(session);
      const loop = this.#serve(session);
      this.#loops.add(loop);
      void loop.finally(() => this.#loops.delete(loop));
    }
  }

  async #serve(session: IpcSession): Promise<void> {
    const log = this.#log.child({ ipc_client: session.id });
    log.debug("ipc client connected");
    try {
      await readFrames(session, new IpcFrameDecoder({ onOversized: "skip" }), async (event) => {
        if (event.type === "oversized") await session.sendError(oversizedFrameText(event.length));
        else await this.#dispatch(session, event.body, log);
        return session.isOpen;
      });
    } catch (err) {
      // A read error or a stream cut inside a frame: the client is gone either way (§9.6).
      if (session.isOpen) log.debug("ipc client read ended", { error: errorText(err) });
    } finally {
      session.close();
      this.#sessions.delete(session);
      log.debug("ipc client disconnected");
      try {
        await this.#handler.onClientClosed?.(session);
      } catch (err) {
        log.error("ipc client cleanup failed", { error: errorText(err) });
      }
    }
  }

  async #dispatch(session: IpcSession, body: Uint8Array, log: Logger): Promise<void> {
    const code = body[0];
    if (!isRequestCode(code)) {
      await session.sendError(unknownCommandText(code));
      return;
    }
    let msg: IpcRequest;
    try {
      const decoded = decodeIpcMessage(body);
      if (!isRequest(decoded)) throw new Error(`code 0x${code.toString(16)} decoded as ${decoded.kind}`);
      msg = decoded;
    } catch (err) {
      if (!isPilotError(err)) throw err;
      await session.sendError(err.message);
      return;
    }
    try {
      await this.#handler.handleMessage(session, msg);
    } catch (err) {
      if (!isPilotError(err)) log.error("ipc handler failed", { command: msg.kind, error: errorText(err) });
      await session.sendError(errorText(err));
    }
  }
}

function isRequest(msg: IpcMessage): msg is IpcRequest {
  return isRequestCode(IPC_KIND_CODES[msg.kind]);
}
