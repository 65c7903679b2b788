/**
 * One stream connection for applications, shaped like `Deno.Conn`: `read`/`write`, lazy `readable` and
 * `writable` web streams, idempotent `close()`. It adapts a pure {@linkcode Connection} that the stack
 * drives; the stack tells it when data, room or the end arrive through the {@linkcode ConnEvents} it
 * gets from {@linkcode OverlayConn.open}.
 *
 * Backpressure is real in both directions: received chunks hold receive-window slots until a reader
 * takes them (`consumed()`), so a slow reader shrinks the window the peer sees; writers wait while the
 * connection's send buffer is full or the stack's outgoing packet queue is over its mark.
 *
 * `closeWrite()` is not supported: the protocol has no half-close (network.md §5.12: a FIN moves both
 * sides to TIME_WAIT, and the receiver stops). It rejects with `transport_half_close_unsupported`
 * instead of pretending. Closing the `writable` closes the whole connection, after the written data is
 * acknowledged (Q17), so "write, then close" delivers everything.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { readableFromChunks, writableFromWriter } from "../streams/conn_streams.ts";
import type { Connection } from "./connection.ts";
import type { OverlayAddr } from "./listener.ts";
import type { EndReason } from "./state.ts";

/** What a connection needs from the stack that drives it. */
export interface ConnDriver {
  /** The stack's clock in ms. */
  now(): number;
  /**
   * Performs the actions the connection table produced; call after every call into a connection, with
   * that connection (its deadlines may have moved). Without one, every connection's deadline is read.
   */
  flush(touched?: Connection): void;
  /** `undefined` when the outgoing packet queue has room, else a promise that resolves once it has. */
  outgoingRoom(): Promise<void> | undefined;
}

/** The stack's side of a connection: call these when the table reports the matching action. */
export interface ConnEvents {
  readable(): void;
  writable(): void;
  removed(reason: EndReason): void;
}

/** Reasons after which a read fails rather than ending cleanly. */
const FAILED: ReadonlySet<EndReason> = new Set(["rst", "idle-timeout", "retransmit-limit"]);

/**
 * What `closeWrite()` answers on every Pilot connection, in-process or over IPC: the protocol has no
 * half-close (network.md §5.12), and closing sends FIN once written data is acknowledged.
 */
export function rejectHalfClose(): Promise<void> {
  return Promise.reject(
    new PilotError("transport_half_close_unsupported", "half-close is not supported", {
      hint: "close() sends FIN once written data is acknowledged",
    }),
  );
}

/**
 * A stream connection over the overlay.
 *
 * @example
 * ```ts
 * // Connections come from a listener's accept() or from Stack.dial(); see lib/sdk/mod.ts.
 * import { OverlayConn } from "./conn.ts";
 * if (typeof OverlayConn.open !== "function") throw new Error("the stack opens connections");
 * ```
 */
export class OverlayConn implements Disposable {
  /** Daemon-local connection ID (§5.1), as in `conn_list`. */
  readonly id: number;
  readonly localAddr: OverlayAddr;
  readonly remoteAddr: OverlayAddr;
  #conn: Connection;
  #driver: ConnDriver;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #headOffset = 0;
  #wakeRead: (() => void) | undefined;
  #wakeWrite: (() => void) | undefined;
  #removed: EndReason | undefined;
  #closed = false;
  #readable: ReadableStream<Uint8Array> | undefined;
  #writable: WritableStream<Uint8Array> | undefined;

  private constructor(conn: Connection, driver: ConnDriver) {
    this.#conn = conn;
    this.#driver = driver;
    this.id = conn.id;
    this.localAddr = { transport: "pilot", address: conn.localAddress, port: conn.localPort };
    this.remoteAddr = { transport: "pilot", address: conn.remote.address, port: conn.remote.port };
  }

  /** Wraps an established connection; the stack keeps the events and calls them. */
  static open(conn: Connection, driver: ConnDriver): { conn: OverlayConn; events: ConnEvents } {
    const c = new OverlayConn(conn, driver);
    return {
      conn: c,
      events: {
        readable: () => c.#wake(),
        writable: () => c.#wake(),
        removed: (reason) => {
          c.#removed ??= reason;
          c.#wake();
        },
      },
    };
  }

  /** The state name as `conn_list` shows it (`ESTABLISHED`, `TIME_WAIT`, ...). */
  get state(): string {
    return this.#conn.stateName;
  }

  /**
   * Reads into `buffer` like `Deno.Conn.read`: the number of bytes read, or `null` at end of stream.
   *
   * @throws {PilotError} `transport_reset` when the peer reset the connection or it timed out;
   *   `transport_closed` after `close()`.
   */
  async read(buffer: Uint8Array): Promise<number | null> {
    if (buffer.byteLength === 0) return 0;
    for (;;) {
      if (this.#closed) throw new PilotError("transport_closed", "connection closed");
      const n = this.#copyOut(buffer);
      if (n > 0) return n;
      const end = this.#endOfStream();
      if (end !== undefined) return end;
      await this.#waitRead();
    }
  }

  /**
   * Writes like `Deno.Conn.write`: waits for room, then returns how many bytes were taken (possibly
   * fewer than offered). Taken bytes are copied.
   *
   * @throws {PilotError} `transport_closed` once the connection is closed or gone.
   */
  async write(bytes: Uint8Array): Promise<number> {
    if (bytes.byteLength === 0) return 0;
    for (;;) {
      this.#checkWritable();
      const outgoing = this.#driver.outgoingRoom();
      if (outgoing !== undefined) {
        await outgoing;
        continue;
      }
      // Offered even when the buffer looks full: a short write is what arms the `writable` signal.
      const taken = this.#conn.write(bytes, this.#driver.now());
      this.#driver.flush(this.#conn);
      if (taken > 0) return taken;
      await this.#waitWrite();
    }
  }

  /** Received bytes as a web stream; pulling frees receive-window slots. Created on first use. */
  get readable(): ReadableStream<Uint8Array> {
    this.#readable ??= readableFromChunks(async () => {
      for (;;) {
        if (this.#closed) return null;
        const chunks = this.#takeAll();
        if (chunks.length > 0) return chunks;
        if (this.#endOfStream() !== undefined) return null;
        await this.#waitRead();
      }
    }, () => this.close());
    return this.#readable;
  }

  /** A web stream into the connection; closing it closes the connection after delivery. */
  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= writableFromWriter(this);
    return this.#writable;
  }

  /** Not supported (see the module note): the protocol has no half-close. */
  closeWrite(): Promise<void> {
    return rejectHalfClose();
  }

  /**
   * Closes the connection: FIN once written data is acknowledged (Q17), then TIME_WAIT. Pending reads
   * end, pending writes fail. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    this.#conn.close(this.#driver.now());
    this.#driver.flush(this.#conn);
    this.#wake();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // --- internals ---

  /** `null` for a clean end, `undefined` while data may still come; throws for a failed end. */
  #endOfStream(): null | undefined {
    const reason = this.#removed ?? (this.#conn.isReceiveEnded ? this.#conn.endReason : undefined);
    if (reason === undefined) return undefined;
    if (FAILED.has(reason)) {
      throw new PilotError(
        "transport_reset",
        reason === "rst" ? "connection reset" : `connection lost (${reason})`,
      );
    }
    return null;
  }

  #checkWritable(): void {
    if (this.#closed || this.#removed !== undefined || this.#conn.state !== "established") {
      throw new PilotError("transport_closed", "connection closed");
    }
  }

  /** Copies buffered bytes into `buffer`, refilling from the connection, and reports them consumed. */
  #copyOut(buffer: Uint8Array): number {
    let n = 0;
    while (n < buffer.byteLength) {
      if (this.#head >= this.#chunks.length) {
        this.#chunks = this.#conn.takeReceived();
        this.#head = 0;
        this.#headOffset = 0;
        if (this.#chunks.length === 0) break;
      }
      const chunk = this.#chunks[this.#head];
      const take = Math.min(chunk.byteLength - this.#headOffset, buffer.byteLength - n);
      buffer.set(chunk.subarray(this.#headOffset, this.#headOffset + take), n);
      n += take;
      this.#headOffset += take;
      if (this.#headOffset === chunk.byteLength) {
        this.#head++;
        this.#headOffset = 0;
      }
    }
    if (n > 0) this.#consumed(n);
    return n;
  }

  /** Every buffered chunk, handed over whole (the readable path) and reported consumed. */
  #takeAll(): Uint8Array[] {
    let out: Uint8Array[];
    if (this.#head < this.#chunks.length) {
      out = this.#chunks.slice(this.#head);
      if (this.#headOffset > 0) out[0] = out[0].subarray(this.#headOffset);
    } else {
      out = this.#conn.takeReceived();
    }
    this.#chunks = [];
    this.#head = 0;
    this.#headOffset = 0;
    let bytes = 0;
    for (const chunk of out) bytes += chunk.byteLength;
    if (bytes > 0) this.#consumed(bytes);
    return out;
  }

  #consumed(bytes: number): void {
    this.#conn.consumed(bytes, this.#driver.now());
    this.#driver.flush(this.#conn);
  }

  #waitRead(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.#wakeRead;
      this.#wakeRead = () => {
        previous?.();
        resolve();
      };
    });
  }

  #waitWrite(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.#wakeWrite;
      this.#wakeWrite = () => {
        previous?.();
        resolve();
      };
    });
  }

  #wake(): void {
    const read = this.#wakeRead;
    const write = this.#wakeWrite;
    this.#wakeRead = undefined;
    this.#wakeWrite = undefined;
    read?.();
    write?.();
  }
}
