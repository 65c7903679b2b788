/**
 * Registry numbers: first the values fixed by control.md (with their section), then our tunables (with
 * the reason each exists). Nothing here does I/O.
 *
 * @module
 */

/** §3.1: largest frame body either side accepts (`length > 1048576` is refused). */
export const MAX_FRAME_BODY = 1_048_576;
/** §3.1: bytes of the big-endian length prefix. */
export const FRAME_PREFIX_SIZE = 4;
/** §3.2: a connection with no request for this long is closed. */
export const IDLE_TIMEOUT_MS = 5 * 60_000;
/** §3.11: period of the maintenance tick (reaping, beacon and bucket expiry). */
export const MAINTENANCE_TICK_MS = 60_000;
/** §3.11: a node whose `last_seen` is older than this is reaped; also the dashboard's "online" window. */
export const STALE_NODE_MS = 3 * 60_000;
/** §3.7.18: beacons not refreshed for this long are not listed. */
export const BEACON_TTL_MS = 60_000;
/** §3.7.13: pending relayed handshake requests per target node. */
export const HANDSHAKE_INBOX_MAX = 100;
/** §3.10: token bucket of `register` per source IP. */
export const RATE_LIMIT_CAPACITY = 10;
/** §3.10: tokens refilled per window (continuously). */
export const RATE_LIMIT_REFILL = 10;
/** §3.10: refill window. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** §3.10: a bucket untouched for two windows is dropped. */
export const RATE_LIMIT_BUCKET_IDLE_MS = 2 * RATE_LIMIT_WINDOW_MS;
/** §3.8: hostname limits and reserved names. */
export const HOSTNAME_MAX = 63;
export const RESERVED_HOSTNAMES: ReadonlySet<string> = new Set(["localhost", "backbone", "broadcast"]);
/** §3.8: tag limits. */
export const TAG_MAX = 32;
export const TAGS_MAX = 10;
/** §3.16: default listen address of the registry binary. */
export const DEFAULT_REGISTRY_ADDR = ":9000";

/** §4.2: dial attempts after a socket-level failure of a request. */
export const CLIENT_RECONNECT_ATTEMPTS = 5;
/** §4.2: timeout of each reconnect dial. */
export const CLIENT_DIAL_TIMEOUT_MS = 5_000;
/** §4.2: first back-off after a failed dial; doubles each time. */
export const CLIENT_BACKOFF_INITIAL_MS = 500;
/** §4.2: back-off cap. */
export const CLIENT_BACKOFF_MAX_MS = 10_000;
/** §4.4: heartbeat interval of the daemon (= keepalive). */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** §4.4: consecutive heartbeat failures that start a re-registration. */
export const HEARTBEAT_FAILURES_BEFORE_REREGISTER = 3;

// Tunables, not in the spec.

/**
 * Deno KV values are limited to 64 KiB and atomic writes to 800 KiB, while a frame may carry 1 MiB of
 * free text. The reference stores any length; we refuse longer owner strings, justifications and beacon
 * addresses with a logged reason so one request can never fail a commit for the size of its text.
 */
export const OWNER_MAX_BYTES = 4096;
export const JUSTIFICATION_MAX_BYTES = 4096;
export const BEACON_ADDR_MAX_BYTES = 256;
/**
 * The response inbox has no size limit in the reference; a poll drains at most this many entries, so a
 * reply always fits in one frame and one drain fits in one KV commit (1000 mutations). The rest stays
 * for the next poll.
 */
export const POLL_RESPONSES_MAX = 500;
/** Commit retries of one optimistic KV transaction before the request fails (bounds every retry loop). */
export const STORE_COMMIT_ATTEMPTS = 64;
