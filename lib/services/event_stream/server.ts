/**
 * The event stream service on port 1002 (services.md §5.2): per connection, the first event is the
 * subscription (its payload ignored), every later one a publication handed to the broker. The
 * connection's queue is drained to it concurrently. When the peer closes, sends a malformed or
 * oversized event, or a write to it fails, the subscription is removed and the connection closed;
 * other connections are unaffected.
 *
 * @module
 */

import { isPilotError } from "../../errors.ts";
import { NULL_LOGGER } from "../../log.ts";
import type { Logger } from "../../log.ts";
import { closeQuietly, runAcceptLoop, type ServiceConn, type ServiceListener } from "../_service_types.ts";
import type { EventBroker, Subscriber } from "./broker.ts";
import { EventDecoderStream } from "./event_decoder_stream.ts";

/** Options of {@linkcode serveEventStream}. */
export interface ServeEventStreamOptions {
  /** The daemon's one broker; several listeners may share it. */
  broker: EventBroker;
  logger?: Logger;
  /** Aborting closes the listener and every open connection; the call then resolves. */
  signal?: AbortSignal;
}

/**
 * Serves the event stream protocol on every connection `listener` accepts; resolves once the listener
 * has closed and every connection has ended.
 *
 * @example
 * ```ts
 * import { EventBroker } from "./broker.ts";
 * import { serveEventStream } from "./server.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const controller = new AbortController();
 * const served = serveEventStream(listener, { broker: new EventBroker(), signal: controller.signal });
 * controller.abort();
 * await served;
 * ```
 */
export function serveEventStream<C extends ServiceConn>(
  listener: ServiceListener<C>,
  options: ServeEventStreamOptions,
): Promise<void> {
  const logger = options.logger ?? NULL_LOGGER;
  return runAcceptLoop(listener, (conn) => handleEventConnection(conn, options.broker), {
    service: "eventstream",
    logger,
    signal: options.signal,
  });
}

/**
 * Runs one connection against `broker` until it ends, then closes it. Rejects with the decoder's
 * `PilotError` on a malformed event (the accept loop logs it); the subscription is gone either way.
 */
export async function handleEventConnection(conn: ServiceConn, broker: EventBroker): Promise<void> {
  const reader = conn.readable.pipeThrough(new EventDecoderStream()).getReader();
  let sub: Subscriber | undefined;
  let draining: Promise<void> | undefined;
  // The stream ending, a reset, or our own close (overflow, shutdown) all just end the connection; only
  // a malformed event is worth reporting, and the decoder raises that as a PilotError.
  const read = () =>
    reader.read().catch((err: unknown) => {
      if (isPilotError(err)) throw err;
      return { done: true as const, value: undefined };
    });
  try {
    const first = await read();
    if (first.done) return;
    sub = broker.subscribe(first.value.topic, {
      remote: conn.remoteAddr,
      onOverflow: () => closeQuietly(conn),
    });
    const writer = conn.writable.getWriter();
    // A failed write means the subscriber is gone (§5.4): closing the connection ends the read below.
    draining = sub.queue.run(writer).catch(() => closeQuietly(conn)).finally(() => writer.releaseLock());
    for (;;) {
      const next = await read();
      if (next.done) return;
      broker.publish(next.value, sub);
    }
  } finally {
    if (sub !== undefined) broker.unsubscribe(sub);
    closeQuietly(conn);
    await draining;
    await reader.cancel().catch(() => {
      // The pipe already failed (that error is what we are unwinding from); nothing is left to free.
    });
  }
}
