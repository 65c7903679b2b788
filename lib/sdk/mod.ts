/**
 * The Deno-shaped SDK of Pilot Protocol (services.md §10): listen on an overlay port and accept
 * `Deno.Conn`-like connections, dial an address or a hostname, send and receive datagrams, ping. This
 * in-process form runs on a {@linkcode Stack} (the daemon's own, or one a test builds over a tunnel);
 * hostnames go through an injected resolver, which the daemon points at the registry's
 * `resolve_hostname`.
 *
 * @example
 * ```ts
 * import { Pilot } from "./mod.ts";
 * import { Stack } from "../transport/stack.ts";
 * import { decodePacket } from "../protocol/mod.ts";
 * // Two stacks joined back to back in memory, in place of two daemons and their tunnels.
 * const stacks: Stack[] = [];
 * const wire = (to: number) => (_node: number, bytes: Uint8Array) => {
 *   queueMicrotask(() => stacks[to].receive(decodePacket(bytes), to === 0 ? 2 : 1));
 *   return Promise.resolve();
 * };
 * stacks.push(new Stack({ localAddress: { network: 0, node: 1 }, send: wire(1) }));
 * stacks.push(new Stack({ localAddress: { network: 0, node: 2 }, send: wire(0) }));
 * const server = new Pilot(stacks[1]);
 * const client = new Pilot(stacks[0], {
 *   resolveHostname: (name) => Promise.resolve({ network: 0, node: name === "beta" ? 2 : 0 }),
 * });
 * using listener = server.listen({ port: 3000 });
 * const accepted = listener.accept();
 * const conn = await client.dial("beta", 3000);
 * await conn.write(new TextEncoder().encode("hi"));
 * const peer = await accepted;
 * const buf = new Uint8Array(8);
 * const n = await peer.read(buf);
 * if (new TextDecoder().decode(buf.subarray(0, n ?? 0)) !== "hi") throw new Error("echoed");
 * conn.close();
 * peer.close();
 * await stacks[0].close();
 * await stacks[1].close();
 * ```
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { parseAddress } from "../protocol/mod.ts";
import type { Address } from "../protocol/mod.ts";
import type { OverlayConn } from "../transport/conn.ts";
import type { Datagram } from "../transport/datagram.ts";
import type { OverlayListener } from "../transport/listener.ts";
import type { PingOptions, Stack } from "../transport/stack.ts";
import { DatagramReceiver } from "./datagrams.ts";
import type { DatagramReceiverOptions } from "./datagrams.ts";

export { DatagramReceiver } from "./datagrams.ts";
export type { DatagramReceiverOptions } from "./datagrams.ts";
export type { OverlayConn } from "../transport/conn.ts";
export type { Listener, OverlayAddr, OverlayListener } from "../transport/listener.ts";
export type { Datagram } from "../transport/datagram.ts";
export type { Address } from "../protocol/mod.ts";

/** Turns a hostname into an overlay address (the registry's `resolve_hostname`). */
export type HostnameResolver = (hostname: string, signal: AbortSignal | undefined) => Promise<Address>;

/** Where to connect: an address, its text form `N:XXXX.XXXX.XXXX`, or a hostname. */
export type Target = Address | string;

/** Options of {@linkcode Pilot}. */
export interface PilotOptions {
  resolveHostname?: HostnameResolver;
}

/** Options of {@linkcode Pilot.dial}. */
export interface PilotDialOptions {
  signal?: AbortSignal;
  /** Give up with `dial timeout` sooner than the protocol's 29–39 s. */
  timeoutMs?: number;
}

/** One node's view of the overlay for applications. */
export class Pilot {
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
    const address = await this.#address(target, options.signal);
    return await this.#stack.dial(address, port, options);
  }

  /** Sends one datagram (§6.1). @throws {PilotError} `transport_broadcast` for a broadcast address. */
  async sendDatagram(target: Target, port: number, data: Uint8Array): Promise<void> {
    const address = await this.#address(target, undefined);
    await this.#stack.sendDatagram(address, port, data);
  }

  /** Received datagrams (all ports, or `options.port`), until the receiver is closed. */
  datagrams(options: DatagramReceiverOptions = {}): DatagramReceiver {
    return new DatagramReceiver(
      (push: (d: Datagram) => void) => this.#stack.subscribeDatagrams(push),
      options,
    );
  }

  /** Control ping (§6.2); resolves with the round trip in ms. */
  async ping(target: Target, options: PingOptions = {}): Promise<number> {
    return await this.#stack.ping(await this.#address(target, undefined), options);
  }

  async #address(target: Target, signal: AbortSignal | undefined): Promise<Address> {
    if (typeof target !== "string") return target;
    if (target.includes(":")) return parseAddress(target);
    if (this.#resolve === undefined) {
      throw new PilotError("not_found", `cannot resolve hostname ${target}: no resolver`, {
        hint: "pass an address N:XXXX.XXXX.XXXX, or give the SDK a resolveHostname",
      });
    }
    return await this.#resolve(target, signal);
  }
}
