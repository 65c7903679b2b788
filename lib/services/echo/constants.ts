/**
 * Echo service values: spec values first (services.md §1, §2, §12), then tunables with their reason.
 *
 * @module
 */

/** The echo service's port (services.md §1). */
export const ECHO_PORT = 7;

/** `ping` reads at most this much of the reply, in one read (services.md §2.2). */
export const PING_READ_BYTES = 1024;

/** `bench` writes the pattern in pieces of this size, byte k of each being `k mod 256` (services.md §2.3). */
export const BENCH_CHUNK_BYTES = 4096;

/** `bench` default size: 1 MiB (services.md §12). */
export const BENCH_DEFAULT_BYTES = 1_048_576;

/** `bench` waits this long for the echo after the last write (services.md §2.3). */
export const BENCH_RECEIVE_TIMEOUT_MS = 120_000;

/**
 * Tunable: bench keeps this many written-but-unconfirmed chunks in flight, so the writer never waits
 * a round trip per chunk; 64 × 4 KiB is about one loopback socket buffer.
 */
export const BENCH_WRITES_IN_FLIGHT = 64;

/** Tunable: `onProgress` fires each time this many more bytes have come back (and once at the end). */
export const BENCH_PROGRESS_STEP_BYTES = 1_048_576;
