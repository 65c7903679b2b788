/**
 * The gateway's control socket (issue #5): a unix socket, mode 0600, beside the gateway's PID file.
 * `gateway start` serves it; `gateway map`, `unmap` and `list` call it. One request line and one reply
 * line per connection (control_messages.ts); each side bounds the line length and the time it waits.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import {
  type ControlReply,
  type ControlRequest,
  encodeControlReply,
  encodeControlRequest,
  isGatewayCode,
  MAX_CONTROL_LINE,
  parseControlReply,
  parseControlRequest,
} from "./control_messages.ts";

/** How long the server waits for a request line. */
const REQUEST_TIMEOUT_MS = 5_000;
/** How long a caller waits for the reply by default (a map adds an alias and binds ports first). */
const REPLY_TIMEOUT_MS = 15_000;
/** Control connections served at once; more are closed unanswered (nothing but pilotctl calls). */
const MAX_CONTROL_CONNECTIONS = 16;

/** Answers one request; a thrown `PilotError` of the gateway area becomes an error reply. */
export type ControlHandler = (request: ControlRequest) => Promise<ControlReply>;

const encoder = new TextEncoder();

/** The control socket of a running gateway. */
export class GatewayControlServer implements AsyncDisposable {
  readonly path: string;
  readonly #listener: Deno.UnixListener;
  readonly #handler: ControlHandler;
  readonly #log: Logger;
  readonly #active = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  readonly #inode: number | null;
  #closing: Promise<void> | undefined;

  private constructor(
    path: string,
    listener: Deno.UnixListener,
    inode: number | null,
    handler: ControlHandler,
    log: Logger,
  ) {
    this.path = path;
    this.#listener = listener;
    this.#inode = inode;
    this.#handler = handler;
    this.#log = log;
    this.#loop = this.#serve();
  }

  /**
   * Listens on `path` (a leftover socket file there is replaced: callers first make sure no gateway
   * runs) and restricts it to its owner.
   *
   * @example
   * ```ts ignore
   * await using server = await GatewayControlServer.listen(`${home}/gateway.sock`, handle);
   * ```
   */
  static async listen(
    path: string,
    handler: ControlHandler,
    options: { logger?: Logger } = {},
  ): Promise<GatewayControlServer> {
    await Deno.remove(path).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    });
    const listener = Deno.listen({ transport: "unix", path });
    let inode: number | null;
    try {
      await Deno.chmod(path, 0o600);
      inode = (await Deno.stat(path)).ino;
    } catch (err) {
      listener.close();
      throw err;
    }
    return new GatewayControlServer(path, listener, inode, handler, options.logger ?? NULL_LOGGER);
  }

  /**
   * Stops serving, waits for answers in flight and removes the socket file, unless another server has
   * replaced it meanwhile (a newer gateway listening at the same path). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        this.#listener.close();
      } catch {
        // Closed already.
      }
      await this.#loop;
      await Promise.allSettled([...this.#active]);
      try {
        if ((await Deno.stat(this.path)).ino === this.#inode) await Deno.remove(this.path);
      } catch {
        // Gone already: nothing to remove.
      }
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #serve(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#active.size >= MAX_CONTROL_CONNECTIONS) {
          conn.close();
          continue;
        }
        const task = this.#answer(conn);
        this.#active.add(task);
        void task.finally(() => this.#active.delete(task));
      }
    } catch (err) {
      if (this.#closing === undefined) this.#log.warn("gateway control accept failed", { err: String(err) });
    }
  }

  async #answer(conn: Deno.UnixConn): Promise<void> {
    try {
      let reply: ControlReply;
      try {
        const line = await withTimeout(REQUEST_TIMEOUT_MS, (signal) => readLine(conn, signal));
        reply = await this.#handler(parseControlRequest(line));
      } catch (err) {
        reply = errorReply(err);
      }
      await writeAll(conn, encoder.encode(encodeControlReply(reply)));
    } catch (err) {
      // The caller went away before its answer: nothing to tell it.
      this.#log.debug("gateway control reply failed", { err: String(err) });
    } finally {
      conn.close();
    }
  }
}

function errorReply(err: unknown): ControlReply {
  if (err instanceof PilotError && isGatewayCode(err.code)) {
    return { type: "error", code: err.code, message: err.message };
  }
  return {
    type: "error",
    code: "service_gateway_failed",
    message: err instanceof Error ? err.message : String(err),
  };
}

/** Options of {@linkcode callGatewayControl}. */
export interface ControlCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Sends one request to the gateway listening on `path` and returns its reply (an error reply is
 * returned, not thrown).
 *
 * @throws {PilotError} `service_gateway_unreachable` when nothing answers on `path`;
 * `service_gateway_bad_message` for a reply that is not one; `service_gateway_timeout`.
 */
export async function callGatewayControl(
  path: string,
  request: ControlRequest,
  options: ControlCallOptions = {},
): Promise<ControlReply> {
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (err) {
    throw new PilotError(
      "service_gateway_unreachable",
      `connect to ${path}: ${err instanceof Error ? err.message : err}`,
      { cause: err },
    );
  }
  try {
    await writeAll(conn, encoder.encode(encodeControlRequest(request)));
    const line = await withTimeout(options.timeoutMs ?? REPLY_TIMEOUT_MS, (signal) => {
      const joined = options.signal === undefined ? signal : AbortSignal.any([signal, options.signal]);
      return readLine(conn, joined);
    });
    return parseControlReply(line);
  } finally {
    conn.close();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) offset += await conn.write(bytes.subarray(offset));
}

/** Runs `work` with a signal that aborts after `ms`; the timer never outlives the call. */
async function withTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new PilotError("service_gateway_timeout", `no answer within ${ms} ms`)),
    ms,
  );
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Reads up to the first newline (which is dropped), at most {@linkcode MAX_CONTROL_LINE} bytes. Bytes
 * after the newline are ignored: each side sends one line per connection.
 */
async function readLine(conn: Deno.Conn, signal: AbortSignal): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(16 * 1024);
  const abort = Promise.withResolvers<never>();
  const onAbort = () => abort.reject(signal.reason);
  abort.promise.catch(() => {/* observed through the race below */});
  signal.addEventListener("abort", onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    for (;;) {
      const reading = conn.read(buffer);
      // The read outlives a lost race; the caller then closes the conn, which ends it.
      reading.catch(() => {});
      const n = await Promise.race([reading, abort.promise]);
      if (n === null) {
        throw new PilotError("service_gateway_bad_message", "connection closed before a full line");
      }
      const chunk = buffer.subarray(0, n);
      const newline = chunk.indexOf(0x0A);
      const part = newline === -1 ? chunk : chunk.subarray(0, newline);
      total += part.byteLength;
      if (total > MAX_CONTROL_LINE) {
        throw new PilotError("service_gateway_bad_message", `line longer than ${MAX_CONTROL_LINE} bytes`);
      }
      chunks.push(part.slice());
      if (newline !== -1) break;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  const all = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}
