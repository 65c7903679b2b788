/**
 * The daemon's Info JSON (control.md §9.3): what `pilotctl info`, `peers` and `connections` show.
 * Keys are written sorted by the IPC layer; this module only gathers the values.
 *
 * @module
 */

import type { ConnectionInfo } from "../transport/mod.ts";
import type { Tunnel } from "../tunnel/mod.ts";

/** What {@linkcode buildInfo} reads. */
export interface InfoSources {
  nodeId: number;
  address: string;
  hostname: string;
  uptimeMs: number;
  encrypt: boolean;
  /** An identity file is configured (not "has a key", §9.3). */
  identityConfigured: boolean;
  publicKey: string;
  owner: string;
  webhook: string;
  tunnel: Tunnel;
  /** Stream connections (all states, TIME_WAIT included); none until the stream layer runs. */
  connections?: readonly ConnectionInfo[];
  /** Bound listener ports. */
  boundPorts?: number;
}

/** States counted by the `connections` field (§9.3). */
const ACTIVE_STATES = new Set(["ESTABLISHED", "SYN_SENT", "SYN_RECV"]);

/** Builds the Info object. */
export function buildInfo(sources: InfoSources): Record<string, unknown> {
  const peers = sources.tunnel.peers();
  const stats = sources.tunnel.stats();
  const connections = sources.connections ?? [];
  const sum = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    node_id: sources.nodeId,
    address: sources.address,
    hostname: sources.hostname,
    uptime_secs: Math.round(sources.uptimeMs / 1000),
    connections: connections.filter((c) => ACTIVE_STATES.has(c.state)).length,
    ports: sources.boundPorts ?? 0,
    peers: peers.length,
    encrypted_peers: peers.filter((p) => p.encrypted).length,
    authenticated_peers: peers.filter((p) => p.authenticated).length,
    encrypt: sources.encrypt,
    identity: sources.identityConfigured,
    public_key: sources.publicKey,
    owner: sources.owner,
    bytes_sent: stats.bytesOut,
    bytes_recv: stats.bytesIn,
    pkts_sent: sum(stats.framesOut),
    pkts_recv: sum(stats.framesIn),
    peer_list: peers.map((p) => ({
      node_id: p.nodeId,
      endpoint: p.endpoint ?? "",
      encrypted: p.encrypted,
      authenticated: p.authenticated,
    })),
    conn_list: connections,
    // Ours, not the reference's (its readers ignore unknown keys): the daemon's own resident memory,
    // which benchmarks and operators can read without access to /proc.
    rss_bytes: Deno.memoryUsage().rss,
  };
}
