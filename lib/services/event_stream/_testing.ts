/**
 * Test fixtures for the event stream (tests only, not exported from mod.ts): a broker served on a real
 * TCP listener at 127.0.0.1 port 0, a way to wait until it has N subscribers (under the shared test
 * deadline) and raw wire helpers, so tests wait on events, never on sleeps.
 *
 * @module
 */

import { EventBroker, type EventBrokerOptions } from "./broker.ts";
import { serveEventStream } from "./server.ts";
import { withDeadline } from "../../../tests/_helpers/deadline.ts";

/** A running event stream service for one test. */
export interface TestEventStream extends AsyncDisposable {
  readonly broker: EventBroker;
  readonly port: number;
  /** A new TCP connection to the service. */
  dial(): Promise<Deno.TcpConn>;
  /** Resolves once the broker has exactly `n` subscribers (after subscribes or unsubscribes). */
  subscribers(n: number, what?: string): Promise<void>;
}

/** Starts the service with a fresh broker; `await using` stops it and waits for every connection. */
export function startEventStream(options: Omit<EventBrokerOptions, "hooks"> = {}): TestEventStream {
  const waiters = new Set<{ n: number; resolve: () => void }>();
  const check = () => {
    for (const waiter of waiters) {
      if (broker.stats.subscribers !== waiter.n) continue;
      waiters.delete(waiter);
      waiter.resolve();
    }
  };
  // The broker counts before it calls these hooks. An empty-topic unsubscribe fires no hook; tests that
  // wait on counts do not use empty topics.
  const broker: EventBroker = new EventBroker({
    ...options,
    hooks: { onSubscribed: check, onUnsubscribed: check },
  });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const controller = new AbortController();
  const served = serveEventStream(listener, {
    broker: broker,
    signal: controller.signal,
    logger: options.logger,
  });
  return {
    broker: broker,
    port: listener.addr.port,
    dial: () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    subscribers: (n, what = `broker reaches ${n} subscribers`) => {
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.add({ n, resolve });
      check();
      return withDeadline(promise, 10_000, `${what} (has ${broker.stats.subscribers})`);
    },
    [Symbol.asyncDispose]: async () => {
      controller.abort();
      await served;
    },
  };
}

/** Reads from `conn` until `size` bytes have arrived (or the stream ends); returns what arrived. */
export async function readBytes(conn: Deno.Conn, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const n = await conn.read(out.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return out.subarray(0, filled);
}

/** Reads from `conn` until EOF or an error; returns the byte count. */
export async function readToEnd(conn: Deno.Conn): Promise<number> {
  const buffer = new Uint8Array(65_536);
  let total = 0;
  try {
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) total += n;
  } catch {
    // A reset also ends the stream; the byte count so far is the answer.
  }
  return total;
}

/** Writes all of `bytes` to `conn`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) offset += await conn.write(bytes.subarray(offset));
}
