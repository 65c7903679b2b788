/**
 * Tunnel values: first those the spec fixes (network.md §3, §7), then our own tunables, each with the
 * reason for its value.
 *
 * @module
 */

import { TUNNEL_RECEIVE_BUFFER_BYTES } from "../protocol/mod.ts";

/** Packets queued per peer while its key exchange is outstanding; the oldest goes first (§3.6). */
export const PENDING_PER_PEER = 64;

/** Peers that may hold a pending queue at once; past it a packet is not queued (§3.6). */
export const MAX_PENDING_PEERS = 256;

/** Receive buffer: the largest datagram the reference reads (§2.5). */
export const RECEIVE_BUFFER_SIZE: number = TUNNEL_RECEIVE_BUFFER_BYTES;

/** `PILP` datagrams answering one Punch-Command (§3.11). */
export const PUNCH_COUNT = 3;

// Tunables (not in the reference).

/**
 * Sends (seal + UDP send) in flight per tunnel. Deno hands each WebCrypto seal to a thread pool, so
 * many in flight overlap the hand-offs: an encrypted stream measured 47 MB/s with 64, 40 with 8 and 34
 * with 2 (README, "Where the time goes"). Beyond it the send call waits, which is the tunnel's
 * backpressure.
 */
export const MAX_SENDS_IN_FLIGHT = 64;

/**
 * Packets up to this size are sealed and opened synchronously with `node:crypto` (ACKs, pings, control
 * and small messages). Measured here: a seal+open pair of a 38-byte packet costs ~7 µs that way and
 * ~85 µs through an awaited WebCrypto call; at 4 KiB the pair costs ~55 µs synchronously, and WebCrypto
 * with many calls in flight is faster per byte, so bulk segments stay on WebCrypto.
 */
export const SYNC_CRYPTO_MAX_BYTES = 1024;

/** Opens in flight before the receive loop waits for the oldest (same reasoning as sends). */
export const MAX_OPENS_IN_FLIGHT = 64;

/**
 * Q21: key-exchange frames a peer without a context gets at once (2 = the reference's opening
 * sequence: one from adding the peer, one from the send path), then at most one per interval, the
 * interval doubling up to the cap while the peer stays silent.
 */
export const KEY_EXCHANGE_BURST = 2;
/** First spacing of repeated key exchanges to a silent peer (Q21). */
export const KEY_EXCHANGE_INTERVAL_MS = 1_000;
/** Longest spacing of repeated key exchanges to a silent peer (Q21). */
export const KEY_EXCHANGE_MAX_INTERVAL_MS = 16_000;

/**
 * Q12: a PILA that fails against the cached identity key re-asks the registry at most this often per
 * peer, so a rotated key is picked up without letting forged frames drive registry lookups.
 */
export const IDENTITY_REFRESH_INTERVAL_MS = 10_000;
/** A registry answer of "no key" is remembered this long, so a PILK/PILA flood cannot drive lookups. */
export const IDENTITY_NEGATIVE_TTL_MS = 5_000;
/** Identity keys cached at most; the oldest entry goes (bounded against a flood of node IDs). */
export const MAX_IDENTITY_CACHE = 4_096;

/** Key exchanges being verified at once (lookups are async); past it a key exchange is dropped. */
export const MAX_KEY_EXCHANGE_JOBS = 64;

/** PILS frames held per node while its key exchange is checked; a key exchange is one round trip away. */
export const MAX_HELD_FRAMES = 64;

/**
 * Peers the table holds at most. Plaintext-mode learning and Relay-Deliver add entries for any claimed
 * node, so without a bound a flood of spoofed node IDs would grow the table without limit.
 */
export const MAX_PEERS = 65_536;

/** Q13: a plaintext peer seen from a new address is re-resolved at most this often. */
export const ENDPOINT_REFRESH_INTERVAL_MS = 30_000;

/** Q9/Q11: nonce prefixes and X25519 keys of a peer we remember as retired. */
export const RETIRED_HISTORY = 8;

/** Consecutive receive failures after which the loop gives up rather than spin. */
export const MAX_RECEIVE_FAILURES = 100;
