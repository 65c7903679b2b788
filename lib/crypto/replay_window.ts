/**
 * The receive-side replay window of network.md §3.8: 256 counters as a bitmap indexed by
 * `counter mod 256`, plus `max`, the highest accepted counter (0 = nothing accepted yet).
 *
 * Deliberate fix of reference quirk Q8 (§3.8, §10): the reference raises `max` before decryption and
 * never lowers it, so one forged frame with a huge counter (no key needed) makes every genuine frame
 * "too old". Here the check is split: {@linkcode ReplayWindow.check} only reads, and
 * {@linkcode ReplayWindow.accept} commits, to be called only after the frame authenticated. A forged
 * frame therefore changes nothing. All other rules are the reference's.
 *
 * Counters are `bigint`: the nonce carries 64 bits and a hostile peer may send any of them, which a JS
 * number cannot hold exactly past 2^53.
 *
 * Each method is synchronous, so within one event loop calls never interleave. Opens that run
 * concurrently for the same counter are safe because `accept` re-checks: only the first to commit wins.
 * Not safe to share across workers.
 *
 * @module
 */

/** Counters the window remembers behind `max` (§3.8). */
export const REPLAY_WINDOW_SIZE = 256;

const WINDOW = BigInt(REPLAY_WINDOW_SIZE);
const MASK = WINDOW - 1n;

/** The verdict on one counter. */
export type ReplayVerdict = "ok" | "replay" | "too_old";

/**
 * One peer context's replay state; a new key exchange builds a new window (§3.6).
 *
 * @example
 * ```ts
 * import { ReplayWindow } from "./replay_window.ts";
 * const window = new ReplayWindow();
 * if (window.check(1n) !== "ok") throw new Error("fresh counter");
 * // ... decrypt the frame; only if it authenticates:
 * if (window.accept(1n) !== "ok") throw new Error("committed");
 * if (window.check(1n) !== "replay") throw new Error("seen now");
 * ```
 */
export class ReplayWindow {
  // 256 bits as 8 words; bit i%32 of word i>>5 stands for every counter ≡ i (mod 256) inside the window.
  readonly #bits = new Uint32Array(REPLAY_WINDOW_SIZE / 32);
  #max = 0n;

  /** Highest accepted counter; 0 before the first accept. */
  get max(): bigint {
    return this.#max;
  }

  /**
   * Judges `counter` without changing anything: run it before decrypting, to skip the work for frames
   * that would be refused anyway.
   */
  check(counter: bigint): ReplayVerdict {
    if (this.#max === 0n || counter > this.#max) return "ok";
    if (this.#max - counter >= WINDOW) return "too_old";
    return this.#isSet(counter) ? "replay" : "ok";
  }

  /**
   * Records `counter` as received; call it only after the frame authenticated, and drop the frame
   * unless it returns `"ok"` (another copy may have been committed meanwhile).
   */
  accept(counter: bigint): ReplayVerdict {
    const verdict = this.check(counter);
    if (verdict !== "ok") return verdict;
    if (this.#max === 0n) {
      this.#max = counter;
    } else if (counter > this.#max) {
      const distance = counter - this.#max;
      if (distance >= WINDOW) {
        this.#bits.fill(0);
      } else {
        // The slots of max+1 .. counter held counters that are now 256 behind: forget them.
        for (let c = this.#max + 1n; c <= counter; c++) this.#clear(c);
      }
      this.#max = counter;
    }
    this.#set(counter);
    return "ok";
  }

  #isSet(counter: bigint): boolean {
    const i = Number(counter & MASK);
    return (this.#bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  #set(counter: bigint): void {
    const i = Number(counter & MASK);
    this.#bits[i >>> 5] |= 1 << (i & 31);
  }

  #clear(counter: bigint): void {
    const i = Number(counter & MASK);
    this.#bits[i >>> 5] &= ~(1 << (i & 31));
  }
}
