/**
 * Numeric values of the data plane, each with the `spec/network.md` section it comes from. Only values
 * the wire format or the reference's default behaviour fix live here; layout sizes of one format sit in
 * that format's module (`ADDRESS_SIZE` in address.ts, frame sizes in tunnel_frame.ts).
 *
 * @module
 */

// --- Packet header (§2, §7) ---

/** Version nibble sent in byte 0 of every header (§2.1); receivers do not check it (§2.6). */
export const PROTOCOL_VERSION = 1;
/** Size of the fixed packet header in bytes (§2.1). */
export const HEADER_SIZE = 34;
/** Largest payload the 16-bit length field can carry, in bytes (§2.5). */
export const MAX_PAYLOAD = 65535;
/** Largest stream segment payload in bytes (§5.7). */
export const MSS = 4096;
/** Receive buffer of the tunnel socket: max payload + 4 magic + 34 header bytes (§2.5). */
export const TUNNEL_RECEIVE_BUFFER_BYTES = 65573;

/** Flag bits of the low nibble of header byte 0 (§2.2). */
export const FLAGS = { SYN: 0x1, ACK: 0x2, FIN: 0x4, RST: 0x8 } as const;
/** Protocol byte values (§2.3); any other value passes validation and is ignored by the dispatcher. */
export const PROTOCOLS = { STREAM: 0x01, DATAGRAM: 0x02, CONTROL: 0x03 } as const;

// --- Ports (§1.6) ---

/** Well-known virtual ports (§1.6). Only PING, ECHO, HANDSHAKE and 1001..1003 are bound by the daemon. */
export const PORTS = {
  PING: 0,
  CONTROL: 1,
  ECHO: 7,
  NAMESERVER: 53,
  HTTP: 80,
  SECURE: 443,
  HANDSHAKE: 444,
  STDIO: 1000,
  DATA_EXCHANGE: 1001,
  EVENT_STREAM: 1002,
  TASK_SUBMIT: 1003,
} as const;
/** Highest reserved / well-known port (§1.6). */
export const RESERVED_PORT_MAX = 1023;
/** Highest registered port (§1.6). */
export const REGISTERED_PORT_MAX = 49151;
/** First ephemeral port, also where the allocation cursor starts (§1.6, §5.16). */
export const EPHEMERAL_PORT_MIN = 49152;
/** Last ephemeral port; the cursor wraps from here to EPHEMERAL_PORT_MIN (§5.16). */
export const EPHEMERAL_PORT_MAX = 65535;

// --- Stream transport (§5, §7) ---

/** Receive queue per connection; also the initial advertised window (§5.8). */
export const RECEIVE_QUEUE_SEGMENTS = 512;
/** Largest receive window the window field can announce: 512 × 4096 bytes (§7, informational). */
export const MAX_RECEIVE_WINDOW_BYTES = 2097152;
/** Peer window in bytes = window field × this (§5.8). */
export const WINDOW_UNIT_BYTES = 4096;
/** Out-of-order segments kept per connection; more are discarded (§5.9). */
export const OUT_OF_ORDER_SEGMENTS = 128;
/** Initial congestion window (§5.10.1). */
export const INITIAL_CWND_BYTES = 40960;
/** Congestion window cap (§5.10.1). */
export const MAX_CWND_BYTES = 1048576;
/** Initial slow-start threshold (§5.10.1). */
export const INITIAL_SSTHRESH_BYTES = 524288;
/** Floor of the slow-start threshold after loss (§5.10). */
export const MIN_SSTHRESH_BYTES = 4096;
/** Pure duplicate ACKs that trigger fast retransmit (§5.10). */
export const DUPLICATE_ACK_THRESHOLD = 3;
/** Retransmission timeout before any RTT sample (§5.11). */
export const INITIAL_RTO_MS = 1000;
/** Lower bound of the retransmission timeout (§5.11). */
export const MIN_RTO_MS = 200;
/** Upper bound of the retransmission timeout (§5.11). */
export const MAX_RTO_MS = 10000;
/** Clock granularity term G of the RTO formula (§5.11). */
export const CLOCK_GRANULARITY_MS = 10;
/** How often the retransmission timer is checked (§5.11). */
export const RTO_CHECK_INTERVAL_MS = 100;
/** Transmissions of one segment before the connection is reset (§5.11). */
export const MAX_TRANSMISSIONS_PER_SEGMENT = 8;
/** Delay before a lone ACK is sent (§5.9). */
export const DELAYED_ACK_MS = 40;
/** Unacknowledged received segments that force an immediate ACK (§5.9). */
export const DELAYED_ACK_SEGMENTS = 2;
/** Longest wait of the write-coalescing (Nagle) buffer (§5.7). */
export const NAGLE_WAIT_MS = 40;
/** First window-probe interval; it doubles after each probe (§5.8). */
export const WINDOW_PROBE_INITIAL_MS = 500;
/** Cap of the window-probe interval (§5.8). */
export const WINDOW_PROBE_MAX_MS = 30000;

// --- Dialling, keepalive and limits (§5.4, §5.5, §5.13, §5.15, §7) ---

/** First SYN retransmission interval of a dial; it doubles (§5.4). */
export const DIAL_SYN_INITIAL_MS = 1000;
/** Cap of the SYN retransmission interval (§5.4). */
export const DIAL_SYN_MAX_MS = 8000;
/** Direct SYN attempts before switching to relay; only with a beacon (§5.4). */
export const DIAL_DIRECT_ATTEMPTS = 3;
/** SYN retries of a dial: 7 SYNs in total, then `dial timeout` (§5.4). */
export const DIAL_MAX_RETRIES = 6;
/** How often a dial polls the connection state (§5.4). */
export const DIAL_POLL_MS = 10;
/** Keepalive interval, also the registry heartbeat period (`-keepalive`, §5.13). */
export const KEEPALIVE_INTERVAL_MS = 30000;
/** Idle timeout of a connection (`-idle-timeout`, §5.13). */
export const IDLE_TIMEOUT_MS = 120000;
/** Fixed interval of the idle/state sweep (§5.13). */
export const SWEEP_INTERVAL_MS = 15000;
/** Time a closed connection stays in TIME_WAIT (`-time-wait`, §5.12). */
export const TIME_WAIT_MS = 10000;
/** Global SYN admission rate (`-syn-rate-limit`, §5.5.1). */
export const SYN_RATE_GLOBAL_PER_SECOND = 100;
/** Per-source SYN admission rate, fixed (§5.5.1). */
export const SYN_RATE_PER_SOURCE_PER_SECOND = 10;
/** Entries of the per-source SYN table (§5.5.1). */
export const SYN_SOURCE_TABLE_ENTRIES = 4096;
/** Idle time after which a per-source SYN entry is reaped (§5.5.1). */
export const SYN_SOURCE_IDLE_MS = 10000;
/** Active incoming connections per local port (`-max-conns-per-port`, §5.15). */
export const MAX_CONNECTIONS_PER_PORT = 1024;
/** Active connections in total, checked on incoming SYN (`-max-conns-total`, §5.15). */
export const MAX_CONNECTIONS_TOTAL = 4096;
/** Accepted-but-not-taken connections per listener (§5.15). */
export const ACCEPT_QUEUE_CONNECTIONS = 64;

// --- Tunnel (§3, §7) ---

/** Nonce counters remembered by the replay window (§3.8). */
export const REPLAY_WINDOW_COUNTERS = 256;
/** Packets queued per peer while its key exchange is pending; the oldest is dropped (§3.6). */
export const PENDING_PACKETS_PER_PEER = 64;
/** Peers that may hold a pending queue at once (§3.6). */
export const PENDING_PEERS_MAX = 256;
/** AES-GCM nonce size (§3.4). */
export const AEAD_NONCE_BYTES = 12;
/** AES-GCM tag size (§3.4). */
export const AEAD_TAG_BYTES = 16;
/** PILP datagrams sent per Punch-Command (§3.11). */
export const PUNCH_PACKETS_PER_COMMAND = 3;
/** How long start-up endpoint discovery waits for the beacon (§3.11). */
export const ENDPOINT_DISCOVERY_TIMEOUT_MS = 5000;
