/**
 * The built-in data-exchange service (services.md §4.2): accepts connections on a listener (port 1001
 * in the daemon) and runs one {@linkcode DataExchangeSession} per connection, concurrently. A framing
 * error (oversized length, stream ending inside a frame) closes that connection silently, with nothing
 * stored; other connections are not affected and the service keeps accepting.
 *
 * Unlike the reference, temp files left by a crash are removed when the service starts.
 *
 * @module
 */

import { errorText, PilotError } from "../../errors.ts";
import { NULL_LOGGER } from "../../log.ts";
import type { Logger } from "../../log.ts";
import { STALE_TEMP_AGE_MS } from "./constants.ts";
import { DataFrameDecoderStream } from "./frame_stream.ts";
import { inboxDir } from "./inbox_store.ts";
import { receivedDir } from "./received_store.ts";
import { DataExchangeSession } from "./session.ts";
import type { StoredEvent } from "./session.ts";
import type { PeerInfo, ServiceConn, ServiceListener } from "./service_conn.ts";
import { removeStaleTemps } from "./_store_dir.ts";

/** Options of {@linkcode DataExchangeServer.start}. */
export interface DataExchangeServerOptions<C extends ServiceConn> {
  /** The pilot home: messages go to `<home>/inbox`, files to `<home>/received`. */
  home: string;
  /** The sender of a connection (the daemon maps its overlay remote address; tests pick one). */
  peerOf: (conn: C) => PeerInfo;
  /** Lifecycle and save-failure records; default none. */
  logger?: Logger;
  /** Clock for names and `received_at`. Default `() => new Date()`. */
  now?: () => Date;
  /** Called after each durable save (webhooks). Exceptions are logged and ignored. */
  onStored?: (event: StoredEvent) => void;
  /** Temp files older than this are removed at start. Default {@linkcode STALE_TEMP_AGE_MS}. */
  staleTempAgeMs?: number;
}

/**
 * A running service. `close()` stops accepting, closes every connection, removes the temp files of
 * unfinished transfers, and resolves when all of that is done.
 *
 * @example
 * ```ts
 * import { DataExchangeServer } from "./server.ts";
 * const home = await Deno.makeTempDir();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = await DataExchangeServer.start(listener, {
 *   home,
 *   peerOf: () => ({ address: "0:0000.0000.0002", nodeId: 2 }),
 * });
 * await server.close();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export class DataExchangeServer<C extends ServiceConn> implements AsyncDisposable {
  readonly #listener: ServiceListener<C>;
  readonly #options: DataExchangeServerOptions<C>;
  readonly #logger: Logger;
  readonly #abort = new AbortController();
  readonly #sessions = new Set<Promise<void>>();
  #acceptLoop: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(listener: ServiceListener<C>, options: DataExchangeServerOptions<C>) {
    this.#listener = listener;
    this.#options = options;
    this.#logger = options.logger ?? NULL_LOGGER;
  }

  /**
   * Removes stale temp files, then starts accepting on `listener` (which the server then owns).
   *
   * @throws {PilotError} `store_read_failed` when a storage folder exists but cannot be scanned.
   */
  static async start<C extends ServiceConn>(
    listener: ServiceListener<C>,
    options: DataExchangeServerOptions<C>,
  ): Promise<DataExchangeServer<C>> {
    const server = new DataExchangeServer(listener, options);
    const now = (options.now ?? (() => new Date()))();
    const maxAge = options.staleTempAgeMs ?? STALE_TEMP_AGE_MS;
    try {
      for (const dir of [inboxDir(options.home), receivedDir(options.home)]) {
        const removed = await removeStaleTemps(dir, maxAge, now);
        if (removed > 0) server.#logger.info("data exchange removed stale temp files", { dir, removed });
      }
    } catch (err) {
      listener.close();
      throw err;
    }
    server.#acceptLoop = server.#accept();
    return server;
  }

  /** Connections being served now. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /**
   * Resolves when every connection open now has ended and its unfinished transfer is cleaned up
   * (shutdown drains with it; tests use it to observe a disconnect without sleeping).
   */
  async drained(): Promise<void> {
    await Promise.allSettled([...this.#sessions]);
  }

  /** Stops the service; idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort(new PilotError("service_closed", "data exchange service stopped"));
      try {
        this.#listener.close();
      } catch {
        // Closed already (leaving the iteration closes it): the port is free either way.
      }
      await this.#acceptLoop;
      await Promise.allSettled([...this.#sessions]);
    })();
    return this.#closing;
  }

  /** Same as {@linkcode DataExchangeServer.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        if (this.#abort.signal.aborted) {
          closeQuietly(conn);
          break;
        }
        const session = this.#serve(conn);
        this.#sessions.add(session);
        void session.finally(() => this.#sessions.delete(session));
      }
    } catch (err) {
      // Closing the listener while it waits may surface as an error instead of the end of iteration.
      if (!this.#abort.signal.aborted) {
        this.#logger.warn("data exchange accept loop ended", { error: errorText(err) });
      }
    }
  }

  async #serve(conn: C): Promise<void> {
    const signal = this.#abort.signal;
    let session: DataExchangeSession | undefined;
    let writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
    // Stopping the service also closes the socket: a session blocked on an ACK to a peer that never
    // reads would otherwise never see the signal, and close() would wait on it forever.
    const onAbort = () => closeQuietly(conn);
    signal.addEventListener("abort", onAbort, { once: true });
    let failure: unknown;
    try {
      const peer = this.#options.peerOf(conn);
      const log = this.#logger.child({ peer: peer.address });
      writer = conn.writable.getWriter();
      session = new DataExchangeSession(
        {
          home: this.#options.home,
          logger: log,
          now: this.#options.now ?? (() => new Date()),
          onStored: this.#options.onStored,
        },
        peer,
        writer,
      );
      // The signal ends every session when the service closes. preventCancel: on a framing error the
      // pipe must not cancel the connection's readable, which closes a Deno TCP socket outright, before
      // the frames read ahead of the bad one are answered; the finally below closes it instead.
      const events = conn.readable.pipeThrough(new DataFrameDecoderStream(), { signal, preventCancel: true });
      for await (const event of events) await session.handle(event);
    } catch (err) {
      // The connection ends: a framing error, a reset, a failed reply write or the service stopping.
      // Nothing partial was stored; the reference closes silently too (§4.2 step 1). Logged once the
      // session's temp file is gone (below), so the record can be trusted by whoever reads it.
      failure = err;
    } finally {
      signal.removeEventListener("abort", onAbort);
      await session?.abort();
      if (failure !== undefined) {
        this.#logger.debug("data exchange connection closed", {
          code: failure instanceof PilotError ? failure.code : "io",
          error: errorText(failure),
        });
      }
      try {
        writer?.releaseLock();
      } catch {
        // A writer with pending writes cannot be released; closing the connection ends them anyway.
      }
      closeQuietly(conn);
    }
  }
}

function closeQuietly(conn: ServiceConn): void {
  try {
    conn.close();
  } catch {
    // Closed already (by the peer's reset or by cancelling its readable): nothing left to free.
  }
}
