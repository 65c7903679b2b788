/**
 * The transport's configurable values: the daemon flags of `spec/network.md` §7 (`-keepalive`,
 * `-idle-timeout`, `-time-wait`, `-syn-rate-limit`, `-max-conns-per-port`, `-max-conns-total`) and our
 * own tunables. As with the reference's flags, 0 (or an absent field) means "use the default".
 *
 * @module
 */

import {
  ACCEPT_QUEUE_CONNECTIONS,
  CLOSE_LINGER_MS,
  IDLE_TIMEOUT_MS,
  KEEPALIVE_INTERVAL_MS,
  MAX_CONNECTIONS_PER_PORT,
  MAX_CONNECTIONS_TOTAL,
  RECEIVE_QUEUE_SEGMENTS,
  SEND_BUFFER_BYTES,
  SYN_RATE_GLOBAL_PER_SECOND,
  TIME_WAIT_MS,
} from "./constants.ts";

/** Every value a connection or the connection table reads from configuration. */
export interface TransportConfig {
  /** Keepalive probe after this much inactivity (§5.13). */
  keepaliveMs: number;
  /** Local close after this much inactivity (§5.13). */
  idleTimeoutMs: number;
  /** Time spent in TIME_WAIT before removal (§5.12). */
  timeWaitMs: number;
  /** Global SYN bucket capacity and refill per second (§5.5.1). */
  synRateLimit: number;
  /** Active incoming connections per local port (§5.15). */
  maxConnectionsPerPort: number;
  /** Active connections in total, checked on incoming SYN (§5.15). */
  maxConnectionsTotal: number;
  /** Accept queue per listener (§5.5 step 9). */
  acceptQueue: number;
  /** Receive-queue slots; the advertised window of a fresh connection (§5.8). */
  receiveQueueSegments: number;
  /** Unsent plus unacknowledged bytes a connection accepts from the application (ours). */
  sendBufferBytes: number;
  /** Longest wait for queued data before `close()` sends FIN anyway (ours, Q17). */
  closeLingerMs: number;
}

/** The defaults of §7 and constants.ts. */
export const DEFAULT_TRANSPORT_CONFIG: Readonly<TransportConfig> = Object.freeze({
  keepaliveMs: KEEPALIVE_INTERVAL_MS,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
  timeWaitMs: TIME_WAIT_MS,
  synRateLimit: SYN_RATE_GLOBAL_PER_SECOND,
  maxConnectionsPerPort: MAX_CONNECTIONS_PER_PORT,
  maxConnectionsTotal: MAX_CONNECTIONS_TOTAL,
  acceptQueue: ACCEPT_QUEUE_CONNECTIONS,
  receiveQueueSegments: RECEIVE_QUEUE_SEGMENTS,
  sendBufferBytes: SEND_BUFFER_BYTES,
  closeLingerMs: CLOSE_LINGER_MS,
});

/** Fills absent, zero, negative or non-finite fields with their defaults. */
export function resolveTransportConfig(partial: Partial<TransportConfig> = {}): TransportConfig {
  const out: TransportConfig = { ...DEFAULT_TRANSPORT_CONFIG };
  for (const key of Object.keys(DEFAULT_TRANSPORT_CONFIG) as (keyof TransportConfig)[]) {
    const value = partial[key];
    if (value !== undefined && Number.isFinite(value) && value > 0) out[key] = value;
  }
  return out;
}
