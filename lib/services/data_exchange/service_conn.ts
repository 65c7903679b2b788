/**
 * The connection and listener shapes the service needs (those every built-in service shares, from
 * `../_service_types.ts`) and the sender of a connection. Both Deno's TCP types and our overlay types
 * fit them structurally, so the service runs on a real overlay port in the daemon and on 127.0.0.1 in
 * tests (STYLE.md: services take a listener).
 *
 * @module
 */

export type { ServiceConn, ServiceListener } from "../_service_types.ts";

/** The sender of a connection, for the `from` field of stored messages. */
export interface PeerInfo {
  /** Pilot address in text form, `0:0000.0000.0002` (no port). */
  address: string;
  /** Node id of the address. */
  nodeId: number;
}
