/**
 * Values of the trust model: first those fixed by the spec (control.md §7), then our own tunables, each with
 * the reason for its value.
 *
 * @module
 */

// Spec values (control.md §7.3, §7.7).

/** Virtual port of the trust handshake service (§7.3). */
export const HANDSHAKE_PORT = 444;
/** Only the first 4,096-byte segment of a handshake connection is parsed (§7.3 step 1). */
export const MAX_HANDSHAKE_MESSAGE_BYTES = 4096;
/** A message whose timestamp is older than this is dropped (§7.3 step 2). */
export const MAX_MESSAGE_AGE_MS = 5 * 60_000;
/** A message whose timestamp is further ahead than this is dropped (§7.3 step 2). */
export const MAX_MESSAGE_SKEW_MS = 30_000;
/** Replay entries live at least this long (§7.3 step 3). */
export const REPLAY_RETENTION_MS = 10 * 60_000;
/** How often the whole replay cache is swept (§7.3 step 3). */
export const REPLAY_PRUNE_INTERVAL_MS = 5 * 60_000;
/** The reason carried by every revoke (§7.4). */
export const REVOKE_REASON = "trust revoked";
/** Name of the trust file beside the identity file (§7.7). */
export const TRUST_FILE_NAME = "trust.json";

/** Message types of the port-444 protocol (§7.3). */
export const HANDSHAKE_TYPES = {
  request: "handshake_request",
  accept: "handshake_accept",
  reject: "handshake_reject",
  revoke: "handshake_revoke",
} as const;

/** Webhook events of the trust model (§10.8). */
export const TRUST_EVENTS = {
  received: "handshake.received",
  pending: "handshake.pending",
  approved: "handshake.approved",
  rejected: "handshake.rejected",
  autoApproved: "handshake.auto_approved",
  revoked: "trust.revoked",
  revokedByPeer: "trust.revoked_by_peer",
} as const;

// Tunables.

/**
 * Upper bound of the replay cache. Entries are only added for messages whose signature verified, so a flood
 * needs valid signatures; when full the oldest entry goes (a replayed copy of it would carry a timestamp
 * that is about to leave the 5-minute window anyway).
 */
export const MAX_REPLAY_ENTRIES = 4096;
/** Registry keys are re-fetched after this long, so a rotated key is picked up without a restart. */
export const PEER_KEY_TTL_MS = 10 * 60_000;
/**
 * A key mismatch re-fetches the registry key at most this often per node: a forger must not be able to
 * turn each bad message into a registry round trip.
 */
export const PEER_KEY_REFRESH_MIN_MS = 30_000;
/** Upper bound of the registry key cache (one entry per peer that sent us a message). */
export const MAX_PEER_KEYS = 1024;
/** Relayed items handled per poll; the registry caps requests at 100 but not responses. */
export const MAX_RELAYED_ITEMS = 1024;
/** trust.json larger than this is refused instead of read (a real file holds a few KiB per hundred peers). */
export const MAX_TRUST_FILE_BYTES = 8 * 1024 * 1024;
