/**
 * One bridged connection of the gateway (services.md §9): bytes are copied both ways between an
 * accepted TCP connection and an overlay stream, and when either direction ends, both sides are
 * closed (the overlay has no half-close to pass on, and the reference closes both).
 *
 * Backpressure comes from `pipeTo`: a chunk is read from one side only after the previous one was
 * written to the other, so a slow reader on either side slows the writer on the other and nothing
 * queues up in between.
 *
 * @module
 */

/** The overlay side of a bridge: `IpcStreamConn` has this shape, and so does a `Deno.Conn`. */
export interface OverlayStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Ends the stream in both directions (a throw, such as "closed already", is ignored). */
  close(): void;
}

/** The local side of a bridge. */
export interface LocalConn {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  close(): void;
}

/**
 * Copies `local` ⇄ `overlay` until either direction ends, fails, or `signal` aborts; then closes both
 * and resolves once both copies have settled. Never rejects.
 *
 * @example
 * ```ts ignore
 * import { bridgeStreams } from "./bridge.ts";
 * const tcp = await listener.accept();
 * const overlay = await dialStream(ipc, address, 80);
 * await bridgeStreams(tcp, overlay); // both are closed now
 * ```
 */
export async function bridgeStreams(
  local: LocalConn,
  overlay: OverlayStream,
  signal?: AbortSignal,
): Promise<void> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  // preventClose: the ending side's partner is closed below, whole, not half-closed by the pipe.
  const options = { signal: stop.signal, preventClose: true };
  const up = local.readable.pipeTo(overlay.writable, options);
  const down = overlay.readable.pipeTo(local.writable, options);
  try {
    await Promise.race([up, down, aborted(stop.signal)]);
  } catch {
    // One direction failed (a reset, a refused write): that ends the bridge just as an end of stream.
  } finally {
    signal?.removeEventListener("abort", onAbort);
    // Abort first so the other pipe stops reading; closing both then settles a write stuck on a peer
    // that no longer reads, which an abort alone would wait for.
    stop.abort();
    closeQuietly(overlay);
    closeQuietly(local);
    await Promise.allSettled([up, down]);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Closed already: the pipe's abort closed the resource, which is the goal.
  }
}
