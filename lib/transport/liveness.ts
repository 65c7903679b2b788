/**
 * Keepalive and idle timeout of one connection (`spec/network.md` §5.13) as deadlines instead of the
 * reference's 15 s sweep: a keepalive probe is due `keepaliveMs` after the later of the last activity
 * and the last probe, the idle close `idleTimeoutMs` after the last activity. Activity is any received
 * ACK-flagged packet (keepalives included), a data segment sent, connection creation, FIN and close;
 * probes, retransmissions and pure ACKs we send do not count.
 *
 * @module
 */

/** What is due. */
export type LivenessDue = "idle" | "keepalive" | undefined;

/** Activity clock of one connection. */
export class Liveness {
  readonly keepaliveMs: number;
  readonly idleTimeoutMs: number;
  #lastActivityMs: number;
  #lastKeepaliveMs = -Infinity;

  constructor(nowMs: number, keepaliveMs: number, idleTimeoutMs: number) {
    this.#lastActivityMs = nowMs;
    this.keepaliveMs = keepaliveMs;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** When the last activity happened. */
  get lastActivityMs(): number {
    return this.#lastActivityMs;
  }

  /** Call this on every event that counts as activity. */
  onActivity(nowMs: number): void {
    this.#lastActivityMs = Math.max(this.#lastActivityMs, nowMs);
  }

  /** Call this after sending a keepalive probe. */
  onKeepaliveSent(nowMs: number): void {
    this.#lastKeepaliveMs = nowMs;
  }

  /** The earlier of the idle and keepalive deadlines. */
  get deadline(): number {
    return Math.min(this.#idleDeadline(), this.#keepaliveDeadline());
  }

  /** Which of the two is due at `nowMs` (idle wins). */
  due(nowMs: number): LivenessDue {
    if (nowMs >= this.#idleDeadline()) return "idle";
    if (nowMs >= this.#keepaliveDeadline()) return "keepalive";
    return undefined;
  }

  #idleDeadline(): number {
    return this.#lastActivityMs + this.idleTimeoutMs;
  }

  #keepaliveDeadline(): number {
    return Math.max(this.#lastActivityMs, this.#lastKeepaliveMs) + this.keepaliveMs;
  }
}
