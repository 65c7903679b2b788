/**
 * A disposable wrapper of `Deno.DatagramConn` (not disposable in Deno 2.9.6), with idempotent close.
 *
 * @module
 */

/** A UDP host and port. */
export interface UdpAddr {
  readonly hostname: string;
  readonly port: number;
}

/** One bound UDP socket. */
export class UdpSocket implements AsyncDisposable {
  readonly addr: UdpAddr;
  #conn: Deno.DatagramConn;
  #closed = false;

  private constructor(conn: Deno.DatagramConn) {
    this.#conn = conn;
    const addr = conn.addr;
    if (addr.transport !== "udp") throw new Error(`expected a udp socket, got ${addr.transport}`);
    this.addr = { hostname: addr.hostname, port: addr.port };
  }

  /** Binds a socket; port 0 picks a free one (see {@linkcode UdpSocket.addr}). */
  static bind(addr: UdpAddr): UdpSocket {
    return new UdpSocket(Deno.listenDatagram({ transport: "udp", hostname: addr.hostname, port: addr.port }));
  }

  /** True once {@linkcode UdpSocket.close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Receives one datagram into `buffer`; the bytes returned are a view of it. */
  async receive(buffer: Uint8Array): Promise<[Uint8Array, UdpAddr]> {
    const [bytes, from] = await this.#conn.receive(buffer);
    if (from.transport !== "udp") throw new Error(`datagram from a ${from.transport} address`);
    return [bytes, { hostname: from.hostname, port: from.port }];
  }

  /** Sends one datagram; `bytes` must stay unchanged until this resolves. */
  async send(bytes: Uint8Array, to: UdpAddr): Promise<void> {
    await this.#conn.send(bytes, { transport: "udp", hostname: to.hostname, port: to.port });
  }

  /** Closes the socket; a pending receive rejects. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
