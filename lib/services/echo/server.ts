/**
 * The echo service on port 7 (services.md §2.1): every byte a peer sends comes back unchanged, in order,
 * with no framing, limit or idle timer. The handler ends when the peer closes; it never closes a
 * connection on its own initiative (only on shutdown).
 *
 * Backpressure: each chunk is written, and the write awaited, before the next one is read. A peer that
 * sends without reading therefore fills its own receive window and stalls itself; the service holds at
 * most one chunk per connection.
 *
 * @module
 */

import { NULL_LOGGER } from "../../log.ts";
import type { Logger } from "../../log.ts";
import { runAcceptLoop, type ServiceConn, type ServiceListener } from "../_service_types.ts";

/** Options of {@linkcode serveEcho}. */
export interface ServeEchoOptions {
  logger?: Logger;
  /** Aborting closes the listener and every open connection; `serveEcho` then resolves. */
  signal?: AbortSignal;
}

/**
 * Serves echo on every connection `listener` accepts; resolves once the listener has closed and every
 * connection has ended.
 *
 * @example
 * ```ts
 * import { serveEcho } from "./server.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const controller = new AbortController();
 * const served = serveEcho(listener, { signal: controller.signal });
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * await conn.write(new TextEncoder().encode("ping-0"));
 * const reply = new Uint8Array(6);
 * for (let got = 0; got < 6;) got += (await conn.read(reply.subarray(got))) ?? 6;
 * if (new TextDecoder().decode(reply) !== "ping-0") throw new Error("echoed");
 * conn.close();
 * controller.abort();
 * await served;
 * ```
 */
export function serveEcho<C extends ServiceConn>(
  listener: ServiceListener<C>,
  options: ServeEchoOptions = {},
): Promise<void> {
  const logger = options.logger ?? NULL_LOGGER;
  return runAcceptLoop(listener, (conn) => echoConnection(conn), {
    service: "echo",
    logger,
    signal: options.signal,
  });
}

/** Reflects `conn` onto itself until the peer closes; read and write errors both just end it. */
export async function echoConnection(conn: ServiceConn): Promise<void> {
  const reader = conn.readable.getReader();
  const writer = conn.writable.getWriter();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      await writer.write(next.value);
    }
  } catch {
    // The peer reset or closed mid-write, or shutdown closed the connection: echo has nothing to report,
    // since §2.1 gives it no error path; the accept loop closes the connection.
  } finally {
    reader.releaseLock();
    writer.releaseLock();
  }
}
