/**
 * Data-plane events the tunnel emits (network.md §8), with their data fields. The daemon turns them
 * into webhook posts; the tunnel only reports them.
 *
 * @module
 */

/** Event names, as the webhook sends them. */
export const TUNNEL_EVENTS = {
  peerAdded: "tunnel.peer_added",
  established: "tunnel.established",
  relayActivated: "tunnel.relay_activated",
  nonceReplay: "security.nonce_replay",
} as const;

/** One of {@linkcode TUNNEL_EVENTS}. */
export type TunnelEventName = typeof TUNNEL_EVENTS[keyof typeof TUNNEL_EVENTS];

/** Data of each event (§8 field names). */
export interface TunnelEventData {
  "tunnel.peer_added": { peer_node_id: number; endpoint: string };
  "tunnel.established": { peer_node_id: number; authenticated: boolean; relay: boolean; rekeyed: boolean };
  "tunnel.relay_activated": { peer_node_id: number };
  "security.nonce_replay": { peer_node_id: number; counter: number };
}

/** Receives events; must not throw (a throw is logged and ignored). */
export type TunnelEventHandler = <N extends TunnelEventName>(name: N, data: TunnelEventData[N]) => void;
