/**
 * A stream listener on one overlay port, shaped like `Deno.Listener` (STYLE.md "Listeners and
 * connections"). The stack owns demultiplexing and hands the listener a stream of accepted
 * connections; the listener only adapts it. Our address is not a `Deno.Addr`, so {@linkcode Listener}
 * declares the same members over our own address type.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { Address } from "../protocol/mod.ts";

/** A pilot socket address: overlay address and 16-bit port. */
export interface OverlayAddr {
  readonly transport: "pilot";
  readonly address: Address;
  readonly port: number;
}

/** The members of `Deno.Listener`, over any connection and address type. */
export interface Listener<C, A> extends AsyncIterable<C>, Disposable {
  readonly addr: A;
  accept(): Promise<C>;
  close(): void;
}

/**
 * Accepted connections of one port. `close()` frees the port at once and settles a pending `accept()`;
 * leaving a `for await` loop closes the listener, as with `Deno.Listener`.
 *
 * @example
 * ```ts
 * import { OverlayListener } from "./listener.ts";
 * let unbound = false;
 * const listener = new OverlayListener(
 *   { transport: "pilot", address: { network: 0, node: 1 }, port: 1000 },
 *   new ReadableStream<never>(),
 *   () => unbound = true,
 * );
 * const pending = listener.accept().catch((err) => err.code);
 * listener.close();
 * if ((await pending) !== "transport_listener_closed" || !unbound) throw new Error("close settles accept");
 * ```
 */
export class OverlayListener<C = unknown> implements Listener<C, OverlayAddr> {
  readonly addr: OverlayAddr;
  #incoming: ReadableStreamDefaultReader<C>;
  #unbind: () => void;
  #closed = false;

  /** `unbind` frees the port; it runs once, on the first `close()`. */
  constructor(addr: OverlayAddr, incoming: ReadableStream<C>, unbind: () => void) {
    this.addr = addr;
    this.#incoming = incoming.getReader();
    this.#unbind = unbind;
  }

  /** The next accepted connection. @throws {PilotError} `transport_listener_closed`. */
  async accept(): Promise<C> {
    const next = this.#closed ? { done: true as const } : await this.#incoming.read();
    if (next.done) {
      throw new PilotError("transport_listener_closed", `port ${this.addr.port} is closed`);
    }
    return next.value;
  }

  /** Stops accepting and frees the port. Idempotent: `using` and an explicit close() may both run. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unbind(); // free the port first, so a new listener can bind at once
    this.#incoming.cancel().catch(() => {}); // settles a pending accept() or iteration
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<C> {
    try {
      for (let next = await this.#read(); !next.done; next = await this.#read()) yield next.value;
    } finally {
      this.close(); // as with Deno.Listener, leaving the loop closes the listener
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #read(): Promise<ReadableStreamReadResult<C>> {
    if (this.#closed) return Promise.resolve({ done: true, value: undefined });
    return this.#incoming.read();
  }
}
