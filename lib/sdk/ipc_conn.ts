/**
 * A stream connection of a running daemon, seen through its IPC socket (control.md §9.5), shaped like
 * `Deno.Conn` as {@linkcode PilotConn} promises. The IPC client speaks in conn ids and chunks; this
 * adapter adds `read(buffer)` with carry-over, short writes of at most one Send frame, and lazy web
 * streams.
 *
 * Backpressure: `read`/`readable` take one Recv chunk at a time from the driver, whose bounded buffer
 * stops reading the socket when the application falls behind, so the daemon's window to the peer
 * shrinks; `write` resolves once its frame is written to the socket, and the daemon reads the next
 * frame only after the connection took the previous one.
 *
 * What IPC cannot tell: the local port of a dialled connection (DialOK carries only the conn id), so
 * `localAddr.port` is 0 there; and a failed Send is reported after the fact, so a write after the peer
 * went away may resolve and the failure shows on the next `read` or `write`.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { MAX_SEND_DATA } from "../ipc/constants.ts";

/**
 * Most bytes one `write` sends, as one Send frame (a frame may carry up to 1 MiB − 5). The daemon holds
 * a Send's whole frame until its connection has taken it, per IPC session, and every dialled
 * connection has a session of its own: with 1 MiB frames, 1,000 streams kept about 650 MB in the
 * dialling daemon.
 */
export const WRITE_MAX_BYTES = Math.min(64 * 1024, MAX_SEND_DATA);
import type { IpcClient } from "../ipc/client.ts";
import { type OverlayAddr, rejectHalfClose } from "../transport/mod.ts";
import type { PilotConn } from "./contract.ts";
import { readableFromChunks, writableFromWriter } from "../streams/conn_streams.ts";
import { fromDaemon } from "./_ipc_errors.ts";

/** How a connection ends its IPC side: Close on a shared session, or the whole dedicated session. */
export type IpcConnCloser = () => Promise<void>;

/**
 * One stream connection through a daemon.
 *
 * @example
 * ```ts ignore
 * import { connect } from "./mod.ts";
 * await using pilot = await connect();
 * const conn = await pilot.dial("0:0000.0000.0002", 7); // the echo port
 * await conn.write(new TextEncoder().encode("hi"));
 * const buf = new Uint8Array(2);
 * await conn.read(buf);
 * conn.close();
 * ```
 */
export class IpcConn implements PilotConn {
  readonly id: number;
  readonly localAddr: OverlayAddr;
  readonly remoteAddr: OverlayAddr;
  #ipc: IpcClient;
  #closer: IpcConnCloser;
  #carry: Uint8Array | undefined;
  #ended = false;
  #closed = false;
  #done = Promise.withResolvers<void>();
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  /** `closer` runs once, on the first `close()`. */
  constructor(
    ipc: IpcClient,
    addrs: { id: number; local: OverlayAddr; remote: OverlayAddr },
    closer: IpcConnCloser,
  ) {
    this.#ipc = ipc;
    this.id = addrs.id;
    this.localAddr = addrs.local;
    this.remoteAddr = addrs.remote;
    this.#closer = closer;
  }

  /**
   * Reads into `buffer`: bytes read, or `null` at the end of the stream (also for a read that was
   * waiting when `close()` ran).
   *
   * @throws {PilotError} `transport_closed` for a read started after `close()`; `ipc_disconnected`
   *   when the daemon went away; `transport_closed` after the daemon refused a write.
   */
  async read(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) throw new PilotError("transport_closed", "connection closed");
    if (buffer.byteLength === 0) return 0;
    const chunk = this.#carry ?? await this.#next();
    this.#carry = undefined;
    if (chunk === null) return null;
    const n = Math.min(chunk.byteLength, buffer.byteLength);
    buffer.set(chunk.subarray(0, n));
    if (n < chunk.byteLength) this.#carry = chunk.subarray(n);
    return n;
  }

  /**
   * Writes at most {@linkcode WRITE_MAX_BYTES} as one Send frame and resolves with the bytes taken,
   * once they are on the socket.
   *
   * @throws {PilotError} `transport_closed` after `close()` or once the daemon refused an earlier write.
   */
  async write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) throw new PilotError("transport_closed", "connection closed");
    if (bytes.byteLength === 0) return 0;
    const taken = bytes.subarray(0, WRITE_MAX_BYTES);
    try {
      await this.#ipc.send(this.id, taken);
    } catch (err) {
      throw this.#closed
        ? new PilotError("transport_closed", "connection closed", { cause: err })
        : fromDaemon(err);
    }
    return taken.byteLength;
  }

  /** Received bytes, one daemon chunk per pull. Created on first use; cancelling closes. */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= readableFromChunks(async () => {
      const chunk = this.#closed ? null : this.#carry ?? await this.#next();
      this.#carry = undefined;
      return chunk === null ? null : [chunk];
    }, () => this.close());
    return this.#readable;
  }

  /** Bytes to send; closing it closes the connection (there is no half-close). Created on first use. */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= writableFromWriter(this);
    return this.#writable;
  }

  /** Not supported: the protocol has no half-close (network.md §5.12). */
  closeWrite(): Promise<void> {
    return rejectHalfClose();
  }

  /**
   * Ends the connection; the daemon sends FIN once what was written is acknowledged. Writes that
   * resolved before are delivered. Idempotent; {@linkcode closed} says when the IPC side is done.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#carry = undefined;
    this.#closer().then(this.#done.resolve, this.#done.resolve);
  }

  /**
   * Resolves once a `close()` has done its IPC side: the Close handed to the daemon, which runs it after
   * every earlier write, or the connection's session ended.
   */
  get closed(): Promise<void> {
    return this.#done.promise;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  async #next(): Promise<Uint8Array | null> {
    if (this.#ended) return null;
    let chunk: Uint8Array | null;
    try {
      chunk = await this.#ipc.recv(this.id);
    } catch (err) {
      if (this.#closed) return null; // our own close() ended the session under the read
      throw fromDaemon(err);
    }
    if (chunk === null || this.#closed) {
      this.#ended = true;
      return null;
    }
    return chunk;
  }
}
