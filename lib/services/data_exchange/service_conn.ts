/**
 * The connection and listener shapes the service needs. Both Deno's TCP types and our overlay types fit
 * them structurally, so the service runs on a real overlay port in the daemon and on 127.0.0.1 in tests
 * (STYLE.md: services take a listener).
 *
 * @module
 */

/** One accepted stream connection, shaped like `Deno.Conn`. */
export interface ServiceConn {
  /** Bytes from the peer. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
  /** The peer's address (a `Deno.NetAddr` or an overlay address). */
  readonly remoteAddr: unknown;
  /** Closes both directions; may throw if already closed. */
  close(): void;
}

/** A port's accepted connections, shaped like `Deno.Listener`; leaving the iteration closes it. */
export interface ServiceListener<C extends ServiceConn = ServiceConn> extends AsyncIterable<C> {
  /** Stops accepting and frees the port. */
  close(): void;
}

/** The sender of a connection, for the `from` field of stored messages. */
export interface PeerInfo {
  /** Pilot address in text form, `0:0000.0000.0002` (no port). */
  address: string;
  /** Node id of the address. */
  nodeId: number;
}
