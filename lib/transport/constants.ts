/**
 * Values of the stream transport. Spec values (`spec/network.md` §5, §7) come from lib/protocol, which
 * owns the §7 table; this file re-exports the ones the transport uses under one roof and then lists the
 * transport's own tunables, each with the reason for its value. Nothing here is read from a clock.
 *
 * @module
 */

export {
  ACCEPT_QUEUE_CONNECTIONS,
  CLOCK_GRANULARITY_MS,
  DELAYED_ACK_MS,
  DELAYED_ACK_SEGMENTS,
  DIAL_DIRECT_ATTEMPTS,
  DIAL_MAX_RETRIES,
  DIAL_SYN_INITIAL_MS,
  DIAL_SYN_MAX_MS,
  DUPLICATE_ACK_THRESHOLD,
  EPHEMERAL_PORT_MAX,
  EPHEMERAL_PORT_MIN,
  IDLE_TIMEOUT_MS,
  INITIAL_CWND_BYTES,
  INITIAL_RTO_MS,
  INITIAL_SSTHRESH_BYTES,
  KEEPALIVE_INTERVAL_MS,
  MAX_CONNECTIONS_PER_PORT,
  MAX_CONNECTIONS_TOTAL,
  MAX_CWND_BYTES,
  MAX_RTO_MS,
  MAX_TRANSMISSIONS_PER_SEGMENT,
  MIN_RTO_MS,
  MIN_SSTHRESH_BYTES,
  MSS,
  NAGLE_WAIT_MS,
  OUT_OF_ORDER_SEGMENTS,
  RECEIVE_QUEUE_SEGMENTS,
  SYN_RATE_GLOBAL_PER_SECOND,
  SYN_RATE_PER_SOURCE_PER_SECOND,
  SYN_SOURCE_IDLE_MS,
  SYN_SOURCE_TABLE_ENTRIES,
  TIME_WAIT_MS,
  WINDOW_PROBE_INITIAL_MS,
  WINDOW_PROBE_MAX_MS,
  WINDOW_UNIT_BYTES,
} from "../protocol/mod.ts";

import { MAX_CWND_BYTES, MSS } from "../protocol/mod.ts";

// --- Spec values the protocol table does not name ---

/** Initial sequence number of both directions: always 0 (§5.6, Q5; a random ISN would hit Q19 and §5.6). */
export const INITIAL_SEQUENCE = 0;

// --- Tunables (ours) ---

/**
 * Bytes the application may queue on one connection (unsent plus unacknowledged). The reference blocks
 * the writer instead; we need a bound for backpressure. Twice the congestion-window cap keeps a full
 * window in flight while the next one is already queued.
 */
export const SEND_BUFFER_BYTES = 2 * MAX_CWND_BYTES;

/**
 * How long `close()` waits for queued and unacknowledged data before sending FIN anyway (Q17). The
 * reference abandons such data at once; 15 s covers a full retransmission schedule at the initial RTO
 * (RST after ≈15.5 s, §5.11), so data is never held back longer than the peer would keep trying.
 */
export const CLOSE_LINGER_MS = 15000;

/**
 * Extra FIN transmissions when no FIN|ACK comes back while we are in TIME_WAIT. The reference sends its
 * FIN once; a lost FIN would leave the peer open until its 120 s idle timeout. Each resend costs one
 * FIN|ACK from a reference peer, so the count stays small.
 */
export const FIN_RETRANSMISSIONS = 2;

/**
 * A window update is sent when the application frees slots after we advertised this many free slots or
 * fewer: the reference sender only learns of reopened room from an ACK (Q2 interop note).
 */
export const WINDOW_UPDATE_THRESHOLD_SEGMENTS = 1;

/**
 * How long a lone in-order segment waits for a second one before we acknowledge it. The reference
 * waits 40 ms (DELAYED_ACK_MS, §5.9). A sender that may only have one segment in flight (a small
 * window, a path shared by many connections, Nagle's partial segment) then moves one segment per
 * 40 ms: a thousand streams to one peer, each holding one segment of the shared path budget, spent
 * 73% of the time idle. 2 ms still folds the ACKs of a burst into one.
 */
export const DELAYED_ACK_WAIT_MS = 2;

/** Largest payload the segmenter cuts: the spec MSS (§5.7), named here for the segmenter's readers. */
export const SEGMENT_BYTES = MSS;
