/**
 * Congestion control of `spec/network.md` §5.10.1 in bytes: slow start, congestion avoidance, the
 * duplicate-ACK reaction and the timeout reaction, plus the timeout-recovery point of §5.11. Deciding
 * what counts as a duplicate ACK and what to retransmit is the connection's job.
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

/** What a duplicate ACK asks the sender to do. */
export type DuplicateAckOutcome = "none" | "fast-retransmit";

/** The congestion window of one connection. Not safe for shared use. */
export class CongestionControl {
  #cwnd = INITIAL_CWND_BYTES;
  #ssthresh = INITIAL_SSTHRESH_BYTES;
  #duplicateAcks = 0;
  #recoveryPoint: number | undefined;

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

  /** Call this when the cumulative ACK advances to `ack` by `bytesAcked`. */
  onAckAdvanced(bytesAcked: number, ack: number): void {
    this.#duplicateAcks = 0;
    if (this.#recoveryPoint !== undefined && seqAfterOrEqual(ack, this.#recoveryPoint)) {
      this.#recoveryPoint = undefined;
    }
    if (this.#cwnd < this.#ssthresh) {
      this.#cwnd += bytesAcked;
    } else {
      this.#cwnd += Math.max(1, Math.floor((MSS * bytesAcked) / this.#cwnd));
    }
    this.#cwnd = Math.min(this.#cwnd, MAX_CWND_BYTES);
  }

  /** Call this for each duplicate ACK; the 3rd asks for a fast retransmit (§5.10). */
  onDuplicateAck(): DuplicateAckOutcome {
    this.#duplicateAcks++;
    if (this.#duplicateAcks === DUPLICATE_ACK_THRESHOLD) {
      this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), MIN_SSTHRESH_BYTES);
      this.#cwnd = this.#ssthresh + DUPLICATE_ACK_THRESHOLD * MSS;
      return "fast-retransmit";
    }
    if (this.#duplicateAcks > DUPLICATE_ACK_THRESHOLD) {
      this.#cwnd = Math.min(this.#cwnd + MSS, MAX_CWND_BYTES);
    }
    return "none";
  }

  /**
   * Call this on a retransmission timeout; `sendNext` is the current send sequence. Returns true when
   * this timeout opened a new recovery episode (the caller then doubles the RTO once).
   */
  onTimeout(sendNext: number): boolean {
    if (this.#recoveryPoint !== undefined) return false;
    this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), MIN_SSTHRESH_BYTES);
    this.#cwnd = INITIAL_CWND_BYTES; // back to the initial window, not 1 MSS (§5.10.1)
    this.#recoveryPoint = sendNext;
    return true;
  }
}
