/**
 * 32-bit wrapping sequence numbers with serial-number comparison (`spec/network.md` §5.6): `a` is after
 * `b` iff `a - b`, read as a signed 32-bit integer, is positive. Inputs are unsigned 32-bit integers.
 *
 * @module
 */

/** `a + n` modulo 2^32, as an unsigned 32-bit integer (`n` may be negative). */
export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** `a - b` as a signed 32-bit integer: positive when `a` is after `b`. */
export function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** True when `a` comes strictly after `b` in serial arithmetic. */
export function seqAfter(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** True when `a` equals `b` or comes after it in serial arithmetic. */
export function seqAfterOrEqual(a: number, b: number): boolean {
  return ((a - b) | 0) >= 0;
}

/** True when `a` comes strictly before `b` in serial arithmetic. */
export function seqBefore(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}
