/**
 * The in-process SDK: {@linkcode Pilot} runs on a {@linkcode Stack} (the daemon's own, or one a test
 * builds over a tunnel). Hostnames go through an injected resolver, which the daemon points at the
 * registry's `resolve_hostname`. The out-of-process twin over a daemon's IPC socket is client.ts;
 * both keep the contract of contract.ts.
 *
 * @module
 */

import type { Address } from "../protocol/mod.ts";
import type { OverlayConn } from "../transport/conn.ts";
import type { Datagram } from "../transport/datagram.ts";
import type { OverlayListener } from "../transport/listener.ts";
import type { PingOptions, Stack } from "../transport/stack.ts";
import type { HostnameResolver, PilotDialOptions, PilotNode, Target } from "./contract.ts";
import { DatagramReceiver } from "./datagrams.ts";
import type { DatagramReceiverOptions } from "./datagrams.ts";
import { targetAddress } from "./target.ts";

/** Options of {@linkcode Pilot}. */
export interface PilotOptions {
  resolveHostname?: HostnameResolver;
}

/**
 * One node's view of the overlay for applications, inside the process that runs the stack.
 *
 * @example
 * ```ts
 * import { Pilot } from "./pilot.ts";
 * import { Stack } from "../transport/stack.ts";
 * const stack = new Stack({ localAddress: { network: 0, node: 1 }, send: () => Promise.resolve() });
 * const pilot = new Pilot(stack);
 * using listener = pilot.listen({ port: 4000 });
 * if (listener.addr.port !== 4000 || pilot.address.node !== 1) throw new Error("bound");
 * await stack.close();
 * ```
 */
export class Pilot implements PilotNode<OverlayConn> {
  #stack: Stack;
  #resolve: HostnameResolver | undefined;

  constructor(stack: Stack, options: PilotOptions = {}) {
    this.#stack = stack;
    this.#resolve = options.resolveHostname;
  }

  /** Our own overlay address. */
  get address(): Address {
    return this.#stack.localAddress;
  }

  /** Binds a stream listener. @throws {PilotError} `transport_port_bound` (`port <n> already bound`). */
  listen(options: { port: number }): OverlayListener<OverlayConn> {
    return this.#stack.listen(options.port);
  }

  /**
   * Opens a stream to `target:port`.
   *
   * @throws {PilotError} `transport_refused` (`connection refused`), `transport_dial_timeout`
   *   (`dial timeout`), `invalid_argument` for a malformed address, resolver errors for a hostname.
   */
  async dial(target: Target, port: number, options: PilotDialOptions = {}): Promise<OverlayConn> {
    const address = await targetAddress(target, this.#resolve, options.signal);
    return await this.#stack.dial(address, port, options);
  }

  /** Sends one datagram (§6.1). @throws {PilotError} `transport_broadcast` for a broadcast address. */
  async sendDatagram(target: Target, port: number, data: Uint8Array): Promise<void> {
    const address = await targetAddress(target, this.#resolve, undefined);
    await this.#stack.sendDatagram(address, port, data);
  }

  /** Received datagrams (all ports, or `options.port`), until the receiver is closed. */
  datagrams(options: DatagramReceiverOptions = {}): DatagramReceiver {
    return new DatagramReceiver(
      (push: (d: Datagram) => void) => this.#stack.subscribeDatagrams(push),
      options,
    );
  }

  /** Control ping (§6.2); resolves with the round trip in ms. Not part of the IPC form. */
  async ping(target: Target, options: PingOptions = {}): Promise<number> {
    return await this.#stack.ping(await targetAddress(target, this.#resolve, undefined), options);
  }
}
