/**
 * The daemon's webhook events (control.md §10.8, network.md §8, services.md §8): every name of the
 * table and the members of its `data`. Field names are the wire names, so the daemon can pass these
 * objects straight to {@linkcode WebhookClient.emit}; member order does not matter (the body sorts keys).
 *
 * @module
 */

/** Addresses are text form (`0:0000.0000.0002`); ids, ports and sizes are numbers. */
export type ConnInboundData = {
  readonly src_addr: string;
  readonly src_port: number;
  readonly dst_port: number;
  readonly conn_id: number;
};

/** Data of the events that describe a known connection from our side. */
export type ConnRemoteData = {
  readonly remote_addr: string;
  readonly remote_port: number;
  readonly local_port: number;
  readonly conn_id: number;
};

/** `from`/`remote` of pub/sub events are `<addr>:<port>`. */
export type PubSubPeerData = { readonly topic: string; readonly remote: string };

/** `data` of each event; `undefined` where the event carries none. */
export interface WebhookEventData {
  "node.registered": { readonly address: string; readonly endpoint: string };
  "node.reregistered": { readonly address: string };
  "node.deregistered": undefined;
  "conn.syn_received": ConnInboundData;
  /** Inbound connections only. */
  "conn.established": ConnInboundData;
  /** First FIN only. */
  "conn.fin": ConnRemoteData;
  "conn.rst": ConnRemoteData;
  "conn.idle_timeout": ConnRemoteData;
  /** Peer learnt from an incoming packet. */
  "tunnel.peer_added": { readonly peer_node_id: number; readonly endpoint: string };
  "tunnel.established": {
    readonly peer_node_id: number;
    readonly authenticated: boolean;
    readonly relay: boolean;
    readonly rekeyed: boolean;
  };
  "tunnel.relay_activated": { readonly peer_node_id: number };
  "handshake.received": { readonly peer_node_id: number; readonly justification: string };
  "handshake.pending": { readonly peer_node_id: number; readonly justification: string };
  "handshake.approved": { readonly peer_node_id: number };
  "handshake.rejected": { readonly peer_node_id: number; readonly reason: string };
  "handshake.auto_approved": { readonly peer_node_id: number; readonly reason: "mutual" | "same_network" };
  "trust.revoked": { readonly peer_node_id: number };
  "trust.revoked_by_peer": { readonly peer_node_id: number };
  /** `type` is `TEXT`, `BINARY`, `JSON`, `FILE` or `UNKNOWN(n)`; `from` is the sender's address. */
  "message.received": { readonly type: string; readonly from: string; readonly size: number };
  /** `filename` is the sanitised name (no time stamp), `path` the full stored path. */
  "file.received": { readonly filename: string; readonly size: number; readonly path: string };
  /** Non-empty datagrams only. */
  "data.datagram": {
    readonly src_addr: string;
    readonly src_port: number;
    readonly dst_port: number;
    readonly size: number;
  };
  "pubsub.subscribed": PubSubPeerData;
  "pubsub.unsubscribed": PubSubPeerData;
  "pubsub.published": { readonly topic: string; readonly size: number; readonly from: string };
  "security.syn_rate_limited": { readonly src_addr: string; readonly src_port: number };
  /** `counter` may pass 2^53 on a forged packet, hence bigint as well. */
  "security.nonce_replay": { readonly peer_node_id: number; readonly counter: number | bigint };
}

/** Every event name the daemon sends. */
export type WebhookEventName = keyof WebhookEventData;

// A Record over the union makes the compiler refuse a list that misses or invents a name.
const NAME_SET: Readonly<Record<WebhookEventName, true>> = {
  "node.registered": true,
  "node.reregistered": true,
  "node.deregistered": true,
  "conn.syn_received": true,
  "conn.established": true,
  "conn.fin": true,
  "conn.rst": true,
  "conn.idle_timeout": true,
  "tunnel.peer_added": true,
  "tunnel.established": true,
  "tunnel.relay_activated": true,
  "handshake.received": true,
  "handshake.pending": true,
  "handshake.approved": true,
  "handshake.rejected": true,
  "handshake.auto_approved": true,
  "trust.revoked": true,
  "trust.revoked_by_peer": true,
  "message.received": true,
  "file.received": true,
  "data.datagram": true,
  "pubsub.subscribed": true,
  "pubsub.unsubscribed": true,
  "pubsub.published": true,
  "security.syn_rate_limited": true,
  "security.nonce_replay": true,
};

/** The names of {@linkcode WebhookEventName}, in the order of the §10.8 table. */
export const WEBHOOK_EVENT_NAMES: readonly WebhookEventName[] = Object.freeze(
  Object.keys(NAME_SET).filter(isWebhookEventName),
);

/** True when `name` is one of the events of §10.8. */
export function isWebhookEventName(name: string): name is WebhookEventName {
  return Object.hasOwn(NAME_SET, name);
}

/** A `data` member value: what the events carry (text, numbers, flags). */
export type WebhookValue = string | number | bigint | boolean;

/** Any event's `data`, as the body encoder takes it. */
export type WebhookData = { readonly [key: string]: WebhookValue };
