/**
 * HandshakeOK JSON replies of the IPC handshake sub-commands (control.md §9.4), built from the trust store.
 * Members are declared in sorted order, which is how the reference writes map-built JSON (§1).
 *
 * @module
 */

import type { TrustStore } from "./trust_store.ts";

/** HandshakeOK reply of Request, Approve, Reject and Revoke (§9.4). */
export interface HandshakeStatusReply {
  node_id: number;
  status: "sent" | "approved" | "rejected" | "revoked";
}

/** HandshakeOK reply of Pending (§9.4), keys in the reference's sorted order. */
export interface PendingReply {
  pending: { justification: string; node_id: number; public_key: string; received_at: number }[];
}

/** HandshakeOK reply of Trusted (§9.4), keys in the reference's sorted order. */
export interface TrustedReply {
  trusted: { approved_at: number; mutual: boolean; network: number; node_id: number; public_key: string }[];
}

/** The Pending reply for the store's current state. */
export function pendingReply(store: TrustStore): PendingReply {
  return {
    pending: store.listPending().map((p) => ({
      justification: p.justification,
      node_id: p.nodeId,
      public_key: p.publicKey,
      received_at: p.receivedAt,
    })),
  };
}

/** The Trusted reply for the store's current state. */
export function trustedReply(store: TrustStore): TrustedReply {
  return {
    trusted: store.listTrusted().map((t) => ({
      approved_at: t.approvedAt,
      mutual: t.mutual,
      network: t.network,
      node_id: t.nodeId,
      public_key: t.publicKey,
    })),
  };
}
