/**
 * A listener on one port of a running daemon, through IPC, shaped like `Deno.Listener`.
 *
 * IPC has no Unbind: a port stays bound until the IPC connection that bound it ends, and the daemon
 * then also closes every connection that IPC connection accepted (control.md §9.5, §9.6). So each
 * listener owns a session of its own, and `close()` ends it, which frees the port, as soon as no
 * connection it accepted is still open. Until then (a server that stops accepting but finishes its
 * conversations) the port stays bound and whatever still arrives is closed at once.
 *
 * Every connection accepted here shares this listener's session: the driver buffers at most 8 MiB for
 * all of them together, so one connection nobody reads stalls its siblings. Read each accepted
 * connection (or close it) independently of the accept loop.
 *
 * @module
 */

import { isPilotError, PilotError } from "../errors.ts";
import type { IpcAccepted, IpcClient } from "../ipc/client.ts";
import type { OverlayAddr } from "../transport/listener.ts";
import type { PilotListener } from "./contract.ts";
import { IpcConn } from "./ipc_conn.ts";

/**
 * Accepted connections of one port through a daemon. `close()` settles a pending `accept()`; leaving a
 * `for await` loop closes the listener, as with `Deno.Listener`.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using pilot = await connect();
 * using listener = await pilot.listen({ port: 4000 });
 * for await (const conn of listener) {
 *   void conn.readable.pipeTo(conn.writable); // echo
 * }
 * ```
 */
export class IpcListener implements PilotListener<IpcConn> {
  readonly addr: OverlayAddr;
  #ipc: IpcClient;
  #abort = new AbortController();
  #closed = false;
  #open = new Set<IpcConn>();
  #ended: Promise<void> | undefined;
  #done = Promise.withResolvers<void>();
  #refusing: Promise<void> | undefined;

  /** `ipc` is a session of its own that has bound `addr.port`; the listener ends it. */
  constructor(ipc: IpcClient, addr: OverlayAddr) {
    this.#ipc = ipc;
    this.addr = addr;
  }

  /** The next accepted connection. @throws {PilotError} `transport_listener_closed`. */
  async accept(): Promise<IpcConn> {
    if (this.#closed) throw this.#closedError();
    let next: IpcAccepted;
    try {
      next = await this.#ipc.accept(this.addr.port, { signal: this.#abort.signal });
    } catch (err) {
      throw this.#closed ? this.#closedError() : err;
    }
    if (this.#closed) {
      // Taken from the queue in the same turn as close(): nobody will serve it.
      this.#ipc.closeConnection(next.connId).catch(() => {/* the session ended, closing it too */});
      throw this.#closedError();
    }
    return this.#adopt(next);
  }

  /**
   * Stops accepting. The port is freed at once when no accepted connection is open, else when the
   * last one closes. Idempotent; {@linkcode closed} says when the port is free.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(this.#closedError()); // settles a pending accept()
    if (this.#open.size === 0) this.#end();
    else this.#refusing = this.#refuseLate();
  }

  /** Closes the listener and every connection it accepted (the SDK client's shutdown). */
  closeAll(): void {
    this.close();
    for (const conn of this.#open) conn.close();
  }

  /** True once `close()` ran and nothing holds the port any more: {@linkcode closed} will follow soon. */
  get isEnding(): boolean {
    return this.#ended !== undefined;
  }

  /** Resolves once the listener's session has ended, so the port is free. */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<IpcConn> {
    try {
      for (;;) {
        let conn: IpcConn;
        try {
          conn = await this.accept();
        } catch (err) {
          if (isPilotError(err, "transport_listener_closed")) return;
          throw err;
        }
        yield conn;
      }
    } finally {
      this.close(); // as with Deno.Listener, leaving the loop closes the listener
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #adopt(accepted: IpcAccepted): IpcConn {
    const conn: IpcConn = new IpcConn(this.#ipc, {
      id: accepted.connId,
      local: { transport: "pilot", address: this.addr.address, port: accepted.localPort },
      remote: { transport: "pilot", address: accepted.remoteAddress, port: accepted.remotePort },
    }, async () => {
      try {
        await this.#ipc.closeConnection(conn.id);
      } catch {
        // The session ended first (daemon gone, client closing): the daemon closed the conn with it.
      }
      this.#open.delete(conn);
      if (this.#closed && this.#open.size === 0) this.#end();
    });
    this.#open.add(conn);
    return conn;
  }

  /** While the port lingers for open connections, newcomers are closed instead of queued. */
  async #refuseLate(): Promise<void> {
    // Bounded by the session: ending it rejects the pending accept.
    for (;;) {
      let late: IpcAccepted;
      try {
        late = await this.#ipc.accept(this.addr.port);
      } catch {
        return; // the session ended: nothing more can arrive
      }
      await this.#ipc.closeConnection(late.connId).catch(() => {
        // The session ended meanwhile, which closes the connection too.
      });
    }
  }

  #end(): void {
    this.#ended ??= (async () => {
      await this.#ipc.close();
      await this.#refusing;
      this.#done.resolve();
    })();
  }

  #closedError(): PilotError {
    return new PilotError("transport_listener_closed", `port ${this.addr.port} is closed`);
  }
}
