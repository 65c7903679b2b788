/**
 * Waiting on events under a deadline whose message says what did not happen.
 *
 * @module
 */

/** Resolves as `promise` does, or rejects with `Error(what)` after `ms`. The timer never outlives it. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} (after ${ms} ms)`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
