/**
 * The dialler's SYN retransmission schedule (`spec/network.md` §5.4): 1 s doubling to 8 s, at most 6
 * retries, and with a beacon configured a switch of the peer to relay mode on the 3rd retry, which resets
 * the interval to 1 s. Resulting SYN times: 0, 1, 3, 7, 15, 23, 31 s and failure at 39 s; with a beacon
 * 0, 1, 3 direct, 7, 9, 13, 21 via relay and failure at 29 s.
 *
 * @module
 */

import { DIAL_DIRECT_ATTEMPTS, DIAL_MAX_RETRIES, DIAL_SYN_INITIAL_MS, DIAL_SYN_MAX_MS } from "./constants.ts";

/** What to do when the SYN timer expires. */
export type SynExpiry =
  /** Send the SYN again. */
  | "resend"
  /** Switch the peer to relay mode, then send the SYN again. */
  | "relay-and-resend"
  /** Give up: `dial timeout`. */
  | "timeout";

/** Options of {@linkcode SynSchedule}. */
export interface SynScheduleOptions {
  /** A beacon is configured, so relay is available. */
  beacon?: boolean;
  /** The peer is already in relay mode: the switch never happens. */
  relayed?: boolean;
}

/** SYN timer state of one dial. */
export class SynSchedule {
  #intervalMs = DIAL_SYN_INITIAL_MS;
  #retries = 0;
  #deadline: number;
  #canSwitch: boolean;

  /** Starts the schedule for a SYN sent at `nowMs`. */
  constructor(nowMs: number, options: SynScheduleOptions = {}) {
    this.#deadline = nowMs + this.#intervalMs;
    this.#canSwitch = (options.beacon ?? false) && !(options.relayed ?? false);
  }

  /** When the timer expires next. */
  get deadline(): number {
    return this.#deadline;
  }

  /** Retries so far. */
  get retries(): number {
    return this.#retries;
  }

  /** Call this when the deadline has passed; it re-arms unless the dial is over. */
  expire(nowMs: number): SynExpiry {
    this.#retries++;
    let outcome: SynExpiry = "resend";
    if (this.#retries === DIAL_DIRECT_ATTEMPTS && this.#canSwitch) {
      this.#canSwitch = false;
      this.#intervalMs = DIAL_SYN_INITIAL_MS;
      outcome = "relay-and-resend";
    }
    if (this.#retries > DIAL_MAX_RETRIES) return "timeout";
    this.#intervalMs = Math.min(this.#intervalMs * 2, DIAL_SYN_MAX_MS);
    this.#deadline = nowMs + this.#intervalMs;
    return outcome;
  }
}
