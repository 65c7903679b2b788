/**
 * Beacon values: first those the spec fixes (control.md §5, §11), then our own tunables with the reason
 * for each.
 *
 * @module
 */

/** Default UDP listen address of the beacon binary (control.md §2). */
export const DEFAULT_BEACON_ADDR = ":9001";

/** Default beacon port (control.md §2). */
export const DEFAULT_BEACON_PORT = 9001;

/** Read buffer of the server (control.md §5.1). */
export const READ_BUFFER_SIZE = 65535;

/** Interval between Sync messages to each peer beacon (control.md §5.3). */
export const GOSSIP_INTERVAL_MS = 10_000;

/** How long the daemon waits for the start-up Discover-Reply (control.md §5.4, §11). */
export const DISCOVER_TIMEOUT_MS = 5_000;

/** Buffer the daemon reads the start-up Discover-Reply into (control.md §5.4). */
export const DISCOVER_REPLY_BUFFER = 64;

/** `PILP` datagrams sent for each Punch-Command (control.md §5.4, §11). */
export const PUNCH_PACKET_COUNT = 3;

/** The 4-byte NAT punch frame `PILP` (network.md §3.1). */
export const PUNCH_PACKET: Readonly<Uint8Array> = Uint8Array.of(0x50, 0x49, 0x4c, 0x50);

// Tunables (not in the reference).

/**
 * A node entry without Discover or Punch-Request for this long is forgotten. The reference never
 * forgets; daemons re-announce every keepalive (30 s), so 3 minutes survives five lost announcements.
 */
export const DEFAULT_ENTRY_TTL_MS = 180_000;

/**
 * Most node entries held (and likewise peer-beacon entries); past it the least recently seen goes. Large
 * enough for any real deployment, small enough (a few MiB) that a flood of fake ids cannot exhaust memory.
 */
export const DEFAULT_MAX_ENTRIES = 65_536;

/** At most one warning about dropped datagrams per this interval, so a flood cannot flood the log. */
export const DROP_LOG_INTERVAL_MS = 10_000;

/** Consecutive receive failures after which the loop gives up rather than spin. */
export const MAX_RECEIVE_FAILURES = 100;

/** Datagrams the start-up discovery reads before giving up on replies that are not a Discover-Reply. */
export const MAX_DISCOVER_DATAGRAMS = 64;
