/**
 * The contract between the built-in services and whatever carries their bytes: a listener that yields
 * connections, each a pair of web streams. The shapes are the subset of `Deno.Listener`/`Deno.Conn` the
 * services use, so the overlay's `Listener`/`Conn` and real TCP sockets both fit (tests run services on
 * `Deno.listen` at 127.0.0.1 port 0), plus the accept loop every service runs on top of it.
 *
 * The services never read addresses: `remoteAddr` is passed through, untouched, to logs and hooks.
 *
 * @module
 */

import { isPilotError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** One accepted (or dialled) byte-stream connection, as a service sees it. */
export interface ServiceConn {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly remoteAddr: unknown;
  /** Ends the connection in both directions. May throw if it is already closed (Deno's does). */
  close(): void;
}

/** A port's stream of accepted connections; leaving the iteration or `close()` stops accepting. */
export interface ServiceListener<C extends ServiceConn = ServiceConn> extends AsyncIterable<C> {
  close(): void;
}

/** Closes `conn`, ignoring "already closed": after a peer's close or EOF Deno has already freed it. */
export function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Already closed (Deno throws BadResource): the connection is gone either way, which is the goal.
  }
}

/**
 * Text for a connection's address in logs and hooks: the address's own `toString()` when it has one (the
 * overlay's `N:XXXX.XXXX.XXXX:port`), `host:port` for a `Deno.NetAddr`, else `unknown`.
 */
export function formatRemote(addr: unknown): string {
  if (typeof addr === "string") return addr;
  if (typeof addr !== "object" || addr === null) return "unknown";
  if ("hostname" in addr && "port" in addr) return `${String(addr.hostname)}:${String(addr.port)}`;
  return addr.toString === Object.prototype.toString ? "unknown" : String(addr);
}

/** Options of {@linkcode runAcceptLoop}. */
export interface AcceptLoopOptions {
  /** Service name for log records (`echo`, `eventstream`). */
  service: string;
  logger: Logger;
  /** Aborting stops accepting and closes every open connection. */
  signal?: AbortSignal;
}

/**
 * Runs `handle` once per accepted connection, each concurrently, and resolves when the listener has
 * closed and every handler has returned. `handle` owns its connection; the loop closes it afterwards
 * anyway (quietly), so a handler that returns early cannot leak a socket. A handler's error is logged
 * with the connection's address and never ends the loop.
 */
export async function runAcceptLoop<C extends ServiceConn>(
  listener: ServiceListener<C>,
  handle: (conn: C) => Promise<void>,
  options: AcceptLoopOptions,
): Promise<void> {
  const { logger, signal, service } = options;
  const open = new Set<C>();
  const running = new Set<Promise<void>>();
  const stop = () => {
    closeQuietly(listener);
    for (const conn of open) closeQuietly(conn);
  };
  if (signal?.aborted) {
    stop();
    return;
  }
  signal?.addEventListener("abort", stop, { once: true });
  try {
    for await (const conn of listener) {
      if (signal?.aborted) {
        closeQuietly(conn);
        break;
      }
      open.add(conn);
      const task = handle(conn).catch((err: unknown) => {
        // A PilotError is the peer's fault (bad frame); anything else is ours, so louder.
        const level = isPilotError(err) ? "debug" : "warn";
        logger[level](`${service} connection failed`, {
          remote: formatRemote(conn.remoteAddr),
          error: err instanceof Error ? err.message : String(err),
        });
      }).finally(() => {
        open.delete(conn);
        closeQuietly(conn);
        running.delete(task);
      });
      running.add(task);
    }
  } catch (err) {
    logger.warn(`${service} accept failed`, { error: err instanceof Error ? err.message : String(err) });
  } finally {
    signal?.removeEventListener("abort", stop);
    closeQuietly(listener);
    await Promise.all(running);
  }
}
