/**
 * What the trust manager needs from the daemon: the registry calls (control.md §3.7.4, §3.7.12–3.7.15; the
 * daemon adapts its registry client, which signs each request with the node identity, §3.5.1), the signer,
 * the port-444 send, webhooks and the clock. Interfaces only, so the manager runs without sockets.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { TextVerifier } from "./handshake_verifier.ts";
import type { PeerRecord } from "./peer_key_cache.ts";
import type { TrustStore } from "./trust_store.ts";

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

/** Our identity's signing side; `Ed25519Signer` of `lib/crypto` fits. */
export interface TrustSigner {
  readonly publicKeyBase64: string;
  signText(text: string): string | Promise<string>;
}

/** Webhook data members (§10.8). */
export type TrustEventData = Record<string, string | number | boolean>;

/** What the manager needs from the daemon. */
export interface TrustManagerOptions {
  store: TrustStore;
  registry: TrustRegistry;
  signer: TrustSigner;
  /** Opens a stream to `nodeId:444`, writes `message` once and closes; rejects when the peer is unreachable. */
  sendToPeer(nodeId: number, message: Uint8Array): Promise<void>;
  /** Our current node id (it may change on re-registration). */
  ownNodeId(): number;
  /** Queues a webhook event. */
  emit(event: string, data: TrustEventData): void;
  /** Drops the tunnel state of a peer whose trust ended (§7.2). */
  dropTunnel?(nodeId: number): void | Promise<void>;
  /** Unix ms; defaults to `Date.now`. */
  now?(): number;
  logger?: Logger;
  /** Defaults to `verifyTextSignature` of `lib/crypto`. */
  verify?: TextVerifier;
}
