/**
 * What the trust model needs from the registry client (control.md §3.7.12–3.7.15, §3.7.4). The daemon adapts
 * its registry client to this interface; the client signs each request with the node identity (§3.5.1).
 *
 * @module
 */

import type { PeerRecord } from "./peer_key_cache.ts";

/** A request waiting in our registry inbox (control.md §3.7.14). */
export interface RelayedRequest {
  readonly fromNodeId: number;
  readonly justification: string;
  /** Registry time, Unix seconds. */
  readonly timestamp: number;
}

/** An answer waiting in our registry inbox (control.md §3.7.14). */
export interface RelayedResponse {
  readonly fromNodeId: number;
  readonly accept: boolean;
  readonly timestamp: number;
}

/** What `poll_handshakes` returns. */
export interface HandshakeInbox {
  readonly requests: readonly RelayedRequest[];
  readonly responses: readonly RelayedResponse[];
}

/** The registry calls the trust model makes; the registry client signs each request itself (§3.5.1). */
export interface TrustRegistry {
  reportTrust(nodeId: number, peerId: number): Promise<void>;
  revokeTrust(nodeId: number, peerId: number): Promise<void>;
  requestHandshake(fromNodeId: number, toNodeId: number, justification: string): Promise<void>;
  pollHandshakes(nodeId: number): Promise<HandshakeInbox>;
  respondHandshake(nodeId: number, peerId: number, accept: boolean): Promise<void>;
  /** Rejects when the node is unknown or the registry cannot be reached. */
  lookup(nodeId: number): Promise<PeerRecord>;
}
