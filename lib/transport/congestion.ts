/**
 * Congestion control of `spec/network.md` §5.10.1 in bytes: slow start, congestion avoidance, the
 * duplicate-ACK reaction and the timeout reaction, plus the timeout-recovery point of §5.11. Deciding
 * what counts as a duplicate ACK and what to retransmit is the connection's job.
 *
 * One sender policy of ours on top, with no wire effect (the window only stays below what §5.10.1
 * would let it reach): a loss sets a growth ceiling at 3/4 of the window it happened at, never below
 * {@linkcode CEILING_FLOOR_BYTES}, which then rises by one MSS per {@linkcode CEILING_PROBE_MS}. The
 * loss that matters on loopback and LAN paths is the receiver's UDP socket buffer: Deno cannot enlarge
 * it from the 208 KiB default, which holds about 25 full datagrams, and with round trips near 1 ms
 * Reno's one MSS per round trip regrows a halved window within milliseconds, so a bulk transfer lost
 * 10–25% of its segments and spent its time in recovery. Growth by wall-clock time is what keeps the
 * window below the point of loss; on long paths, where Reno grows slower than one MSS per 50 ms, the
 * ceiling does not bind. Before any loss the ceiling stands at its floor until the round trips show a
 * long path ({@linkcode LOCAL_PATH_RTT_MS}): on loopback, slow start alone overshot to 1 MiB and lost
 * hundreds of segments at once.
 *
 * @module
 */

import {
  DUPLICATE_ACK_THRESHOLD,
  INITIAL_CWND_BYTES,
  INITIAL_SSTHRESH_BYTES,
  MAX_CWND_BYTES,
  MIN_SSTHRESH_BYTES,
  MSS,
} from "./constants.ts";
import { seqAfterOrEqual } from "../protocol/mod.ts";

/** Lowest growth ceiling a loss sets: 16 segments, which the default receive buffer always held here. */
export const CEILING_FLOOR_BYTES = 16 * MSS;

/**
 * A connection starts with the ceiling at its floor, taking its path as local (loopback, LAN), where
 * slow start outruns the receiver's socket buffer within a few round trips. The first
 * {@linkcode LOCAL_PATH_SAMPLES} round trips all at or above this mark a long path, and lift the
 * initial ceiling (a ceiling set by a loss stays).
 */
export const LOCAL_PATH_RTT_MS = 5;

/**
 * Round trips a long path needs to show before the initial ceiling goes: slow start sees them within
 * its first 2–3 round trips, while the window is still near the floor anyway. More than one, because
 * the first round trips of a process include compilation and key set-up (seen: all of the first few
 * above 5 ms on loopback, encrypted).
 */
export const LOCAL_PATH_SAMPLES = 16;

/** The growth ceiling rises by one MSS per this many ms without a loss. */
export const CEILING_PROBE_MS = 50;

/** What a duplicate ACK asks the sender to do. */
export type DuplicateAckOutcome = "none" | "fast-retransmit";

/** The congestion window of one connection. Not safe for shared use. */
export class CongestionControl {
  #cwnd = INITIAL_CWND_BYTES;
  #ssthresh = INITIAL_SSTHRESH_BYTES;
  #duplicateAcks = 0;
  #recoveryPoint: number | undefined;
  #ceilingBase: number | undefined = CEILING_FLOOR_BYTES;
  #ceilingSinceMs: number | undefined;
  #pathKnown = false;
  #longSamples = 0;
  #lossSeen = false;

  /** Congestion window in bytes. */
  get cwndBytes(): number {
    return this.#cwnd;
  }

  /** Slow-start threshold in bytes. */
  get ssthreshBytes(): number {
    return this.#ssthresh;
  }

  /** Duplicate ACKs counted since the cumulative ACK last advanced. */
  get duplicateAcks(): number {
    return this.#duplicateAcks;
  }

  /** True between a timeout and the cumulative ACK that reaches the recovery point (§5.11 step 5). */
  get inTimeoutRecovery(): boolean {
    return this.#recoveryPoint !== undefined;
  }

  /**
   * The growth ceiling at `nowMs` (`undefined`: none). The first call after the ceiling was set starts
   * its clock, so the pure calls of §5.10.1 need no time.
   */
  ceilingBytes(nowMs: number): number | undefined {
    const base = this.#ceilingBase;
    if (base === undefined) return undefined;
    this.#ceilingSinceMs ??= nowMs;
    const probes = Math.floor(Math.max(0, nowMs - this.#ceilingSinceMs) / CEILING_PROBE_MS);
    const ceiling = base + probes * MSS;
    if (ceiling >= MAX_CWND_BYTES) {
      this.#ceilingBase = undefined; // probed back to the cap: no ceiling until the next loss
      return undefined;
    }
    return ceiling;
  }

  /** Call this with each round-trip sample (§5.11), before the ACK that gave it is applied. */
  onRttSample(rttMs: number): void {
    if (this.#pathKnown) return;
    if (rttMs < LOCAL_PATH_RTT_MS) {
      this.#pathKnown = true;
      return;
    }
    if (++this.#longSamples < LOCAL_PATH_SAMPLES) return;
    this.#pathKnown = true;
    if (!this.#lossSeen) this.#ceilingBase = undefined;
  }

  /**
   * Call this when the cumulative ACK advances to `ack` by `bytesAcked`. With `nowMs`, growth stops at
   * the loss-set ceiling (module note); without it, this is §5.10.1 alone.
   */
  onAckAdvanced(bytesAcked: number, ack: number, nowMs?: number): void {
    this.#duplicateAcks = 0;
    if (this.#recoveryPoint !== undefined && seqAfterOrEqual(ack, this.#recoveryPoint)) {
      this.#recoveryPoint = undefined;
    }
    const before = this.#cwnd;
    if (this.#cwnd < this.#ssthresh) {
      this.#cwnd += bytesAcked;
    } else {
      this.#cwnd += Math.max(1, Math.floor((MSS * bytesAcked) / this.#cwnd));
    }
    this.#cwnd = Math.min(this.#cwnd, MAX_CWND_BYTES);
    const ceiling = nowMs === undefined ? undefined : this.ceilingBytes(nowMs);
    if (ceiling !== undefined) this.#cwnd = Math.min(this.#cwnd, Math.max(ceiling, before));
  }

  /**
   * Call this when the cumulative ACK reaches the fast-recovery point: the window inflated by the
   * duplicate ACKs falls back to ssthresh (RFC 6582 style). The reference keeps the inflated window
   * (§5.10.1 says so); we do not, because our receivers send a SACK-bearing duplicate for every
   * segment past a hole, so a window inflated by hundreds of duplicates would start the next loss.
   */
  endFastRecovery(): void {
    this.#cwnd = Math.min(this.#cwnd, this.#ssthresh);
  }

  // A window inflated by duplicates (or a loss inside recovery) never lifts the ceiling.
  #setCeiling(cwndAtLoss: number, nowMs: number | undefined): void {
    const current = nowMs === undefined ? undefined : this.ceilingBytes(nowMs);
    const at = current === undefined ? cwndAtLoss : Math.min(current, cwndAtLoss);
    this.#lossSeen = true;
    this.#ceilingBase = Math.max(CEILING_FLOOR_BYTES, Math.floor(at * 3 / 4));
    this.#ceilingSinceMs = nowMs;
  }

  /** Call this for each duplicate ACK; the 3rd asks for a fast retransmit (§5.10). */
  onDuplicateAck(nowMs?: number): DuplicateAckOutcome {
    this.#duplicateAcks++;
    if (this.#duplicateAcks === DUPLICATE_ACK_THRESHOLD) {
      this.#setCeiling(this.#cwnd, nowMs);
      this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), MIN_SSTHRESH_BYTES);
      this.#cwnd = this.#ssthresh + DUPLICATE_ACK_THRESHOLD * MSS;
      return "fast-retransmit";
    }
    if (this.#duplicateAcks > DUPLICATE_ACK_THRESHOLD) this.onDuplicateAckInRecovery();
    return "none";
  }

  /** Call this for a duplicate ACK while fast recovery is under way: the window inflates by one MSS. */
  onDuplicateAckInRecovery(): void {
    this.#cwnd = Math.min(this.#cwnd + MSS, MAX_CWND_BYTES);
  }

  /**
   * Call this on a retransmission timeout; `sendNext` is the current send sequence. Returns true when
   * this timeout opened a new recovery episode (the caller then doubles the RTO once).
   */
  onTimeout(sendNext: number, nowMs?: number): boolean {
    if (this.#recoveryPoint !== undefined) return false;
    this.#setCeiling(this.#cwnd, nowMs);
    this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), MIN_SSTHRESH_BYTES);
    this.#cwnd = INITIAL_CWND_BYTES; // back to the initial window, not 1 MSS (§5.10.1)
    this.#recoveryPoint = sendNext;
    return true;
  }
}
