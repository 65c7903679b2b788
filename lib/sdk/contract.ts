/**
 * The one contract both SDK forms keep (services.md §10): {@linkcode PilotConn} is the `Deno.Conn`
 * shape over overlay addresses, and {@linkcode PilotNode} is what an application needs from a node.
 * The in-process `Pilot` (over a `Stack`) and the out-of-process `PilotClient` (over a daemon's IPC
 * socket) both satisfy it, so a service written against `PilotNode` runs on either unchanged.
 *
 * Errors are part of the contract: both forms fail with the same codes for the same events
 * (`transport_port_bound`, `transport_refused`, `transport_dial_timeout`, `transport_listener_closed`,
 * `transport_closed`, `transport_broadcast`, `transport_datagram_too_large`, `not_found` for a hostname
 * nobody holds, `invalid_argument` for a malformed text address).
 *
 * @module
 */

import type { Address } from "../protocol/mod.ts";
import type { Listener, OverlayAddr } from "../transport/listener.ts";
import type { DatagramReceiver, DatagramReceiverOptions } from "./datagrams.ts";

/** Where to connect: an address, its text form `N:XXXX.XXXX.XXXX`, or a hostname. */
export type Target = Address | string;

/** Turns a hostname into an overlay address (the registry's `resolve_hostname`). */
export type HostnameResolver = (hostname: string, signal: AbortSignal | undefined) => Promise<Address>;

/** Options of {@linkcode PilotNode.dial}. */
export interface PilotDialOptions {
  signal?: AbortSignal;
  /** Give up with `dial timeout` sooner than the protocol's 29–39 s. */
  timeoutMs?: number;
}

/** A stream connection, shaped like `Deno.Conn` over pilot addresses. */
export interface PilotConn extends Disposable {
  /** The daemon's connection ID (§5.1), as `conn_list` shows it. */
  readonly id: number;
  readonly localAddr: OverlayAddr;
  readonly remoteAddr: OverlayAddr;
  /** Received bytes; pulling is what makes room for more (backpressure toward the peer). */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to send; a write resolves once the bytes are taken. Closing it closes the connection. */
  readonly writable: WritableStream<Uint8Array>;
  /** Like `Deno.Conn.read`: bytes read into `buffer`, or `null` at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Like `Deno.Conn.write`: how many bytes were taken, possibly fewer than offered. */
  write(bytes: Uint8Array): Promise<number>;
  /** The protocol has no half-close: rejects with `transport_half_close_unsupported`. */
  closeWrite(): Promise<void>;
  /** Ends the connection after written data is delivered. Idempotent. */
  close(): void;
}

/** A stream listener on one port, shaped like `Deno.Listener`. */
export type PilotListener<C extends PilotConn = PilotConn> = Listener<C, OverlayAddr>;

/**
 * One node's view of the overlay for applications. `listen` may answer at once (in-process) or after
 * the daemon confirmed the port (IPC); `await node.listen(...)` suits both.
 */
export interface PilotNode<C extends PilotConn = PilotConn> {
  /** Our own overlay address. */
  readonly address: Address;
  /** Binds a stream listener. @throws {PilotError} `transport_port_bound`. */
  listen(options: { port: number }): PilotListener<C> | Promise<PilotListener<C>>;
  /** Opens a stream to `target:port`. */
  dial(target: Target, port: number, options?: PilotDialOptions): Promise<C>;
  /** Sends one datagram (network.md §6.1). */
  sendDatagram(target: Target, port: number, data: Uint8Array): Promise<void>;
  /** Received datagrams (all ports, or `options.port`) until the receiver is closed. */
  datagrams(options?: DatagramReceiverOptions): DatagramReceiver;
}
