/**
 * The one real timer of the stream stack (STYLE.md "State machines, timers and time"): the connection
 * table reports its earliest deadline and this timer is armed there, never more than once at a time.
 *
 * Re-arming policy: a deadline earlier than the armed one re-arms; a later one keeps the armed timer,
 * which then fires early, finds nothing due (`onTimer` early is harmless) and re-arms at the true
 * deadline. That saves a clearTimeout/setTimeout pair on nearly every packet, since each ACK pushes the
 * retransmission deadline a little later. No deadline at all clears the timer, so an idle stack holds
 * no timer and costs no CPU. Delays are rounded up, so a timer never fires before the millisecond of
 * its deadline has begun, and `Connection.nextDeadline()` is later than `now` after `onTimer(now)`:
 * together they rule out a busy loop. The timer is not unref'd: in the daemon it is real work.
 *
 * @module
 */

/** One `setTimeout`, armed at the earliest of a changing set of deadlines. Not safe for shared use. */
export class DeadlineTimer {
  #fire: () => void;
  #handle: ReturnType<typeof setTimeout> | undefined;
  #armedAt: number | undefined;

  /** `fire` runs when the armed deadline is reached; the caller re-arms from inside it. */
  constructor(fire: () => void) {
    this.#fire = fire;
  }

  /** The deadline the timer is armed at, in ms (`undefined` when idle). */
  get armedAt(): number | undefined {
    return this.#armedAt;
  }

  /** True when a real timer is pending. */
  get isArmed(): boolean {
    return this.#handle !== undefined;
  }

  /** Call this after every change that may move the earliest deadline (`undefined`: none is pending). */
  update(deadline: number | undefined, nowMs: number): void {
    if (deadline === undefined) {
      this.clear();
      return;
    }
    if (this.#armedAt !== undefined && this.#armedAt <= deadline) return;
    this.clear();
    this.#armedAt = deadline;
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      this.#armedAt = undefined;
      this.#fire();
    }, Math.max(0, Math.ceil(deadline - nowMs)));
  }

  /** Cancels the pending timer, if any (stack closed or nothing due). */
  clear(): void {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#armedAt = undefined;
  }
}
