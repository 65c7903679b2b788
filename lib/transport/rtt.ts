/**
 * The retransmission-timeout estimator of `spec/network.md` §5.11 (RFC 6298 style, on durations in ms).
 * It only computes; the connection decides when to sample (segments sent once and not SACK-marked) and
 * when to back off (once per timeout-recovery episode).
 *
 * @module
 */

import { CLOCK_GRANULARITY_MS, INITIAL_RTO_MS, MAX_RTO_MS, MIN_RTO_MS } from "./constants.ts";

/** Smoothed RTT, its variation and the resulting RTO of one connection. Not safe for shared use. */
export class RttEstimator {
  #srttMs: number | undefined;
  #minRttMs: number | undefined;
  #rttvarMs = 0;
  #rtoMs = INITIAL_RTO_MS;

  /** Current retransmission timeout in ms (1 s before any sample). */
  get rtoMs(): number {
    return this.#rtoMs;
  }

  /** Smoothed round-trip time, or `undefined` before the first sample. */
  get srttMs(): number | undefined {
    return this.#srttMs;
  }

  /** Smallest round trip sampled: the path itself, without the queueing that inflates `srttMs`. */
  get minRttMs(): number | undefined {
    return this.#minRttMs;
  }

  /** Round-trip variation in ms (0 before the first sample). */
  get rttvarMs(): number {
    return this.#rttvarMs;
  }

  /** Call this with the round trip of a segment that was transmitted once and never SACK-marked. */
  sample(rttMs: number): void {
    const r = Math.max(0, rttMs);
    if (this.#minRttMs === undefined || r < this.#minRttMs) this.#minRttMs = r;
    if (this.#srttMs === undefined) {
      this.#srttMs = r;
      this.#rttvarMs = r / 2;
    } else {
      // RTTVAR uses the old SRTT, so it is updated first (§5.11).
      this.#rttvarMs = 0.75 * this.#rttvarMs + 0.25 * Math.abs(this.#srttMs - r);
      this.#srttMs = 0.875 * this.#srttMs + 0.125 * r;
    }
    const rto = this.#srttMs + Math.max(CLOCK_GRANULARITY_MS, 4 * this.#rttvarMs);
    this.#rtoMs = clamp(rto);
  }

  /** Call this on the first timeout of a loss episode: the RTO doubles once, capped at 10 s. */
  backOff(): void {
    this.#rtoMs = Math.min(this.#rtoMs * 2, MAX_RTO_MS);
  }
}

function clamp(rtoMs: number): number {
  return Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, rtoMs));
}
