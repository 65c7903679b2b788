/**
 * A stream connection of the daemon's data plane, seen through IPC (control.md §9.5), as the
 * `{ readable, writable, remoteAddr, close() }` pair the service clients take (echo, event stream,
 * data exchange). The IPC client speaks in conn ids; this adapter turns one id into web streams:
 *
 * - `readable` pulls one IPC Recv chunk per read (high-water mark 0), so nothing is taken from the
 *   driver's queue before the reader asks, and the driver's own buffer limit pauses the socket when a
 *   reader falls behind; a CloseOK ends it.
 * - `writable` hands each chunk to `IpcClient.send` without waiting for the previous one to reach the
 *   socket, up to {@linkcode SEND_BYTES_IN_FLIGHT} bytes, so the client writes many Send frames per
 *   system call; past that bound a slow daemon slows the writer. IPC has no half-close, so closing
 *   `writable` only waits until everything is written; `close()` ends the connection (IPC Close) in
 *   both directions, after the Sends before it.
 *
 * @module
 */

import { formatAddress } from "../protocol/address.ts";
import type { Address } from "../protocol/address.ts";
import { pipelinedWritable } from "../streams/mod.ts";
import type { IpcClient, IpcRequestOptions } from "./client.ts";
import { SEND_BYTES_IN_FLIGHT } from "./constants.ts";

/** Where a stream connection goes (or comes from): an overlay address and port. */
export class IpcStreamAddr {
  readonly address: Address;
  readonly port: number;

  constructor(address: Address, port: number) {
    this.address = address;
    this.port = port;
  }

  /** `N:XXXX.XXXX.XXXX:port`, the socket form of cli.md §4.5. */
  toString(): string {
    return `${formatAddress(this.address)}:${this.port}`;
  }
}

/** One open IPC stream connection as web streams. */
export class IpcStreamConn {
  readonly connId: number;
  readonly remoteAddr: IpcStreamAddr;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly #ipc: IpcClient;
  #closing: Promise<void> | undefined;

  constructor(ipc: IpcClient, connId: number, remote: IpcStreamAddr) {
    this.#ipc = ipc;
    this.connId = connId;
    this.remoteAddr = remote;
    this.readable = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const chunk = await ipc.recv(connId);
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => this.close(),
    }, { highWaterMark: 0 });
    this.writable = pipelinedWritable(
      { send: (chunk) => ipc.send(connId, chunk), close: () => this.close() },
      SEND_BYTES_IN_FLIGHT,
    );
  }

  /**
   * Ends the connection (IPC Close). Idempotent and never throws, like `Deno.Conn.close()` when it has
   * nothing left to free; {@linkcode closed} tells when the daemon has confirmed it.
   */
  close(): void {
    this.#closing ??= this.#ipc.closeConnection(this.connId).catch(() => {
      // The daemon already ended it (peer closed, IPC lost): the connection is gone, which is the goal.
    });
  }

  /** Resolves once a {@linkcode close} has been answered (or the IPC session has gone). */
  get closed(): Promise<void> {
    return this.#closing ?? Promise.resolve();
  }
}

/**
 * Dials `address`:`port` through the daemon and wraps the new connection. Rejects as `IpcClient.dial`
 * does (an `ipc_error` with the daemon's text, e.g. `connection refused`).
 *
 * @example
 * ```ts ignore
 * import { IpcClient } from "./client.ts";
 * import { dialStream } from "./stream_conn.ts";
 * await using ipc = await IpcClient.connect("/tmp/pilot.sock");
 * const conn = await dialStream(ipc, { network: 0, node: 2 }, 7);
 * const writer = conn.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hello"));
 * const { value } = await conn.readable.getReader().read(); // "hello", from the echo port
 * conn.close();
 * ```
 */
export async function dialStream(
  ipc: IpcClient,
  address: Address,
  port: number,
  options?: IpcRequestOptions,
): Promise<IpcStreamConn> {
  const connId = await ipc.dial(address, port, options);
  return new IpcStreamConn(ipc, connId, new IpcStreamAddr(address, port));
}
