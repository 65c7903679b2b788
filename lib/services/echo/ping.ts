/**
 * One `pilotctl ping` probe over a stream to port 7 (services.md §2.2, cli.md §14.3): write the ASCII
 * payload `ping-<seq>`, do one read of at most 1024 bytes, close. The RTT runs from a start time the
 * caller takes before dialling, because the reference's RTT includes connection set-up.
 *
 * The probe loop itself (count, 1 s spacing, overall budget, dial errors) is the CLI's; this module
 * only does the exchange on an open connection.
 *
 * @module
 */

import { errorText } from "../../errors.ts";
import type { ServiceConn } from "../_service_types.ts";
import { closeQuietly } from "../_service_types.ts";
import { PING_READ_BYTES } from "./constants.ts";

/** Outcome of one probe: `bytes` on success, `error` (`EOF` when the peer closed first) otherwise. */
export type PingResult =
  | { readonly seq: number; readonly rttMs: number; readonly elapsedMs: number; readonly bytes: number }
  | { readonly seq: number; readonly rttMs: number; readonly elapsedMs: number; readonly error: string };

/** Options of {@linkcode pingOnce}. */
export interface PingOptions {
  /** `performance.now()` taken before the dial; defaults to when `pingOnce` is called. */
  startedAt?: number;
  /**
   * Aborting closes the connection and ends the probe with an error result. The reference has no read
   * timeout (§2.2); this is for a CLI that is being stopped.
   */
  signal?: AbortSignal;
}

/** The probe payload for `seq`: `ping-0` is `70 69 6e 67 2d 30` (services.md §13.8). */
export function pingPayload(seq: number): Uint8Array {
  return new TextEncoder().encode(`ping-${seq}`);
}

/**
 * `rtt_ms` as the reference prints it: the RTT in whole microseconds, divided by 1000
 * (`10.8834` ms → `10.883`).
 */
export function rttMsOf(elapsedMs: number): number {
  return Math.floor(elapsedMs * 1000) / 1000;
}

/**
 * Runs one probe on `conn` (already dialled to port 7) and closes it. Never throws: write and read
 * failures become the result's `error`, as each probe's failure is reported per line, not fatal.
 *
 * `elapsedMs` is the unrounded RTT, for the text line's Go duration; `rttMs` is the JSON field.
 *
 * @example
 * ```ts
 * import { serveEcho } from "./server.ts";
 * import { pingOnce } from "./ping.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = serveEcho(listener);
 * const startedAt = performance.now();
 * const result = await pingOnce(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }), 0, { startedAt });
 * if (!("bytes" in result) || result.bytes !== 6) throw new Error("ping-0 comes back");
 * listener.close();
 * await served;
 * ```
 */
export async function pingOnce(
  conn: ServiceConn,
  seq: number,
  options: PingOptions = {},
): Promise<PingResult> {
  const startedAt = options.startedAt ?? performance.now();
  const { signal } = options;
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  const finish = (outcome: { bytes: number } | { error: string }): PingResult => {
    const elapsedMs = performance.now() - startedAt;
    return { seq, rttMs: rttMsOf(elapsedMs), elapsedMs, ...outcome };
  };
  try {
    if (signal?.aborted) return finish({ error: abortText(signal) });
    const writer = conn.writable.getWriter();
    try {
      await writer.write(pingPayload(seq));
    } catch (err) {
      return finish({ error: signal?.aborted ? abortText(signal) : errorText(err) });
    } finally {
      writer.releaseLock();
    }
    const reader = conn.readable.getReader();
    try {
      const next = await reader.read();
      if (next.done) return finish({ error: "EOF" });
      // One read of up to 1024 bytes: a chunk can be longer than that here, the rest is discarded.
      return finish({ bytes: Math.min(next.value.byteLength, PING_READ_BYTES) });
    } catch (err) {
      return finish({ error: signal?.aborted ? abortText(signal) : errorText(err) });
    } finally {
      reader.releaseLock();
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
  }
}

function abortText(signal: AbortSignal): string {
  return signal.reason instanceof Error ? signal.reason.message : "aborted";
}
