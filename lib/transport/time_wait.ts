/**
 * TIME_WAIT of one connection (`spec/network.md` §5.12): removal exactly `timeWaitMs` after entering it
 * (the reference's sweep makes that 10–25 s), and, when we sent the FIN, a few resends spaced by the RTO
 * while no FIN or FIN|ACK answers it (ours: the reference sends its FIN once). Incoming FINs are never
 * answered here (Q1); they only count as the answer.
 *
 * @module
 */

import { FIN_RETRANSMISSIONS, MIN_RTO_MS } from "./constants.ts";

/** What is due. */
export type TimeWaitDue = "resend-fin" | "expired" | undefined;

/** TIME_WAIT timers of one connection. */
export class TimeWait {
  readonly expiresMs: number;
  #finSentMs: number | undefined;
  #finSends = 0;
  #answered: boolean;

  /** Enters TIME_WAIT at `nowMs`; `sentFin`: our FIN went out now (else we answered the peer's). */
  constructor(nowMs: number, timeWaitMs: number, sentFin: boolean) {
    this.expiresMs = nowMs + timeWaitMs;
    this.#answered = !sentFin;
    if (sentFin) {
      this.#finSentMs = nowMs;
      this.#finSends = 1;
    }
  }

  /** Call this when a FIN-carrying packet arrives. */
  onFin(): void {
    this.#answered = true;
  }

  /** The next resend or the expiry, whichever comes first; `rtoMs` spaces the resends. */
  deadline(rtoMs: number): number {
    const resend = this.#resendDeadline(rtoMs);
    return resend === undefined ? this.expiresMs : Math.min(resend, this.expiresMs);
  }

  /** What is due at `nowMs`; a due resend is counted as done. */
  due(nowMs: number, rtoMs: number): TimeWaitDue {
    if (nowMs >= this.expiresMs) return "expired";
    const resend = this.#resendDeadline(rtoMs);
    if (resend !== undefined && nowMs >= resend) {
      this.#finSends++;
      return "resend-fin";
    }
    return undefined;
  }

  #resendDeadline(rtoMs: number): number | undefined {
    if (this.#answered || this.#finSentMs === undefined || this.#finSends > FIN_RETRANSMISSIONS) {
      return undefined;
    }
    return this.#finSentMs + Math.max(MIN_RTO_MS, rtoMs) * this.#finSends;
  }
}
