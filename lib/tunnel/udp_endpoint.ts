/**
 * The tunnel's one UDP socket (network.md §3.1): receive into a caller's reusable buffer, and a send
 * queue. Deno starts each `DatagramConn.send` as its own async op and does not keep their order (seen
 * in tests: a datagram sent last left first), so the endpoint sends one datagram at a time, in call
 * order; measured on this machine that is also the fastest way (DENO-NOTES.md, "w1" beats "w32").
 *
 * lib/beacon/_udp.ts is a smaller wrapper of the same `Deno.DatagramConn`; it could switch to this one.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** A UDP host and port (the same shape as lib/beacon's `UdpAddr`). */
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

/** One bound UDP socket. */
export class UdpEndpoint implements AsyncDisposable {
  /** The bound address (the real port when 0 was asked for). */
  readonly addr: UdpAddr;
  #conn: Deno.DatagramConn;
  #closed = false;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #queue: { bytes: Uint8Array; to: UdpAddr; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #pumping = false;

  private constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    const addr = conn.addr;
    if (addr.transport !== "udp") throw new Error(`expected a udp socket, got ${addr.transport}`);
    this.addr = { hostname: addr.hostname, port: addr.port };
  }

  /**
   * Binds a socket; port 0 picks a free one.
   *
   * @throws {PilotError} `tunnel_bind_failed`.
   */
  static bind(addr: UdpAddr): UdpEndpoint {
    try {
      return new UdpEndpoint(
        Deno.listenDatagram({ transport: "udp", hostname: addr.hostname, port: addr.port }),
      );
    } catch (cause) {
      throw new PilotError("tunnel_bind_failed", `listen udp ${formatUdpAddr(addr)}: ${cause}`, {
        cause,
        hint: "pick a free port with -listen, or :0 for any",
      });
    }
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
   * Sends one datagram; `bytes` must stay unchanged until this settles.
   *
   * @throws {PilotError} `tunnel_closed` after close; `tunnel_send_failed` when the socket refuses.
   */
  send(bytes: Uint8Array, to: UdpAddr): Promise<void> {
    if (this.#closed) return Promise.reject(new PilotError("tunnel_closed", "tunnel socket is closed"));
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
          new PilotError("tunnel_send_failed", `send to ${formatUdpAddr(to)}: ${cause}`, { cause }),
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

  /** Closes the socket; a pending receive rejects. Safe to call twice. */
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
