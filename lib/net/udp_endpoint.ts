/**
 * The project's one wrapper of `Deno.DatagramConn` (network.md §3.1), used by the tunnel and by the
 * beacon (its server and the daemon's start-up discovery): receive into a caller's reusable buffer, a
 * bounded receive loop, and a send queue. Deno starts each `DatagramConn.send` as its own async op and
 * does not keep their order (seen in tests: a datagram sent last left first), so the endpoint sends one
 * datagram at a time, in call order; measured on this machine that is also the fastest way
 * (DENO-NOTES.md, "w1" beats "w32"). `Deno.DatagramConn` is not disposable in Deno 2.9.6; this is.
 *
 * Errors carry the code area of the endpoint's owner (`tunnel_send_failed`, `beacon_bind_failed`):
 * callers branch on those codes, and lib/errors.ts has no area of its own for this layer.
 *
 * @module
 */

import { type ErrorArea, PilotError } from "../errors.ts";

/** A UDP host and port. */
export interface UdpAddr {
  readonly hostname: string;
  readonly port: number;
}

/** `host:port`, with brackets around an IPv6 host. */
export function formatUdpAddr(addr: UdpAddr): string {
  return addr.hostname.includes(":") ? `[${addr.hostname}]:${addr.port}` : `${addr.hostname}:${addr.port}`;
}

/** True when both name the same host string and port. */
export function sameUdpAddr(a: UdpAddr | undefined, b: UdpAddr | undefined): boolean {
  return a !== undefined && b !== undefined && a.port === b.port && a.hostname === b.hostname;
}

/** Options of {@linkcode UdpEndpoint.bind}. */
export interface UdpEndpointOptions {
  /**
   * Prefix of the codes this endpoint throws: `<area>_bind_failed`, `<area>_closed`,
   * `<area>_send_failed`. Default `"tunnel"`, the codes the tunnel's callers already branch on.
   */
  errorArea?: ErrorArea;
  /** The hint of a bind failure (which flag picks another port). */
  bindHint?: string;
}

/** Handles one received datagram; `bytes` views the loop's buffer until the returned promise settles. */
export type DatagramHandler = (bytes: Uint8Array, from: UdpAddr) => Promise<void> | undefined;

/** Options of {@linkcode UdpEndpoint.receiveEach}. */
export interface ReceiveEachOptions {
  /** Ends the loop; the owner closes the socket after aborting, which cuts a pending receive short. */
  signal: AbortSignal;
  /** Receive errors in a row after which the socket is taken as broken and the loop stops. */
  maxFailures: number;
  /** Called once when the loop stops after `maxFailures` errors in a row, with the last one. */
  onGiveUp: (error: unknown) => void;
  /** Called with what a handler threw or rejected with; the loop goes on with the next datagram. */
  onHandlerError: (error: unknown, from: UdpAddr) => void;
}

interface QueuedSend {
  readonly bytes: Uint8Array;
  readonly to: UdpAddr;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** One bound UDP socket. */
export class UdpEndpoint implements AsyncDisposable {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: UdpAddr;
  #conn: Deno.DatagramConn;
  #area: ErrorArea;
  #closed = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #queue: QueuedSend[] = [];
  #pumping = false;

  private constructor(conn: Deno.DatagramConn, area: ErrorArea) {
    this.#conn = conn;
    this.#area = area;
    const addr = conn.addr;
    if (addr.transport !== "udp") throw new Error(`expected a udp socket, got ${addr.transport}`);
    this.addr = { hostname: addr.hostname, port: addr.port };
  }

  /**
   * Binds a socket; port 0 picks a free one. The error's `cause` is Deno's (`Deno.errors.AddrInUse`
   * when the port is taken).
   *
   * @example
   * ```ts
   * import { UdpEndpoint } from "./udp_endpoint.ts";
   * await using a = UdpEndpoint.bind({ hostname: "127.0.0.1", port: 0 });
   * await using b = UdpEndpoint.bind({ hostname: "127.0.0.1", port: 0 });
   * await a.send(new Uint8Array([1, 2, 3]), b.addr);
   * const [bytes, from] = await b.receive(new Uint8Array(16));
   * if (bytes.byteLength !== 3 || from.port !== a.addr.port) throw new Error("one datagram from a");
   * ```
   *
   * @throws {PilotError} `<area>_bind_failed`.
   */
  static bind(addr: UdpAddr, options: UdpEndpointOptions = {}): UdpEndpoint {
    const area = options.errorArea ?? "tunnel";
    let conn: Deno.DatagramConn;
    try {
      conn = Deno.listenDatagram({ transport: "udp", hostname: addr.hostname, port: addr.port });
    } catch (cause) {
      throw new PilotError(`${area}_bind_failed`, `listen udp ${formatUdpAddr(addr)}: ${cause}`, {
        cause,
        hint: options.bindHint,
      });
    }
    return new UdpEndpoint(conn, area);
  }

  /** True once {@linkcode UdpEndpoint.close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends started and not yet settled. */
  get sendsInFlight(): number {
    return this.#inFlight;
  }

  /** Receives one datagram into `buffer`; the bytes returned are a view of it. */
  async receive(buffer: Uint8Array<ArrayBuffer>): Promise<[Uint8Array, UdpAddr]> {
    const [bytes, from] = await this.#conn.receive(buffer);
    if (from.transport !== "udp") throw new Error(`datagram from a ${from.transport} address`);
    return [bytes, { hostname: from.hostname, port: from.port }];
  }

  /**
   * Receives into `buffer` and hands each datagram to `handle` until `signal` aborts, the socket closes
   * or receiving fails `maxFailures` times in a row. A handler that returns a promise is awaited before
   * the next receive reuses the buffer; a synchronous one costs no extra turn (the tunnel's hot path).
   */
  async receiveEach(
    buffer: Uint8Array<ArrayBuffer>,
    handle: DatagramHandler,
    options: ReceiveEachOptions,
  ): Promise<void> {
    const { signal } = options;
    let failures = 0;
    while (!signal.aborted) {
      let bytes: Uint8Array;
      let from: UdpAddr;
      try {
        [bytes, from] = await this.receive(buffer);
        failures = 0;
      } catch (err) {
        if (signal.aborted || this.#closed) break;
        if (++failures >= options.maxFailures) {
          options.onGiveUp(err);
          break;
        }
        continue;
      }
      try {
        const handling = handle(bytes, from);
        if (handling !== undefined) await handling;
      } catch (err) {
        // One bad datagram (or a handler bug) never ends the loop.
        options.onHandlerError(err, from);
      }
    }
  }

  /**
   * Sends one datagram; `bytes` must stay unchanged until this settles.
   *
   * @throws {PilotError} `<area>_closed` after close; `<area>_send_failed` when the socket refuses.
   */
  send(bytes: Uint8Array, to: UdpAddr): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new PilotError(`${this.#area}_closed`, `${this.#area} socket is closed`));
    }
    this.#inFlight++;
    return new Promise((resolve, reject) => {
      this.#queue.push({ bytes, to, resolve, reject });
      if (!this.#pumping) void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    // Bounded by the queue: each turn takes one item, and callers only add what they wait for.
    for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
      const { bytes, to } = item;
      try {
        if (this.#closed) throw new Error("socket closed");
        await this.#conn.send(bytes, { transport: "udp", hostname: to.hostname, port: to.port });
        item.resolve();
      } catch (cause) {
        item.reject(
          new PilotError(`${this.#area}_send_failed`, `send to ${formatUdpAddr(to)}: ${cause}`, { cause }),
        );
      }
      this.#settle();
    }
    this.#pumping = false;
  }

  #settle(): void {
    if (--this.#inFlight === 0) {
      this.#idle?.();
      this.#idle = undefined;
    }
  }

  /** Resolves once no send is in flight. */
  settled(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const previous = this.#idle;
      this.#idle = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Closes the socket; a pending receive rejects, queued sends fail. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  /** Lets sends in flight settle, then closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.settled();
    this.close();
  }
}
