/**
 * Waiting on events under a deadline whose message says what did not happen.
 *
 * @module
 */

/**
 * Resolves as `promise` does, or rejects with `Error(what)` after `ms`. The timer never outlives it.
 * `what` may be a function, called only on expiry, so the message can say how far things got.
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  what: string | (() => string),
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${typeof what === "string" ? what : what()} (after ${ms} ms)`));
    }, ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
