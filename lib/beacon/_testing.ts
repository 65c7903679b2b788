/**
 * Test-only helpers: a UDP peer on loopback that waits for datagrams under a deadline, and the inputs
 * the beacon tests share.
 *
 * @module
 */

import { type UdpAddr, UdpEndpoint } from "../net/mod.ts";
import { withDeadline } from "../../tests/_helpers/deadline.ts";

/** Loopback, port 0: where every test socket and server binds. */
export const LOOPBACK: UdpAddr = { hostname: "127.0.0.1", port: 0 };

/** TV-5 (a PILT frame), hex: the frame the relay tests carry. */
export const TV5 = "50494c5411010000000000000001000000000002c00003e800000000000000000200145ed874";

/** A loopback UDP socket for tests; `next()` fails with `what` when nothing arrives in time. */
export class TestPeer implements AsyncDisposable {
  readonly socket: UdpEndpoint;
  #pending: Promise<[Uint8Array, UdpAddr]> | undefined;

  constructor(port = 0) {
    this.socket = UdpEndpoint.bind({ hostname: "127.0.0.1", port }, { errorArea: "beacon" });
  }

  get addr(): UdpAddr {
    return this.socket.addr;
  }

  send(bytes: Uint8Array, to: UdpAddr): Promise<void> {
    return this.socket.send(bytes, to);
  }

  /** The next datagram, waiting at most `ms`. */
  async next(what: string, ms = 2_000): Promise<[Uint8Array, UdpAddr]> {
    this.#pending ??= this.socket.receive(new Uint8Array(65536));
    const result = await withDeadline(this.#pending, ms, `no ${what} at ${this.addr.port}`);
    this.#pending = undefined;
    return result;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.close();
    await this.#pending?.catch(() => {
      // The receive was cut short by the close above.
    });
  }
}
