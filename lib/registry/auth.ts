/**
 * Signed requests (control.md §3.5.1): each signed message names an ASCII challenge, and the signature
 * must verify under the key on file for the signing node. The challenges carry no nonce, so a captured
 * signature replays forever; that is the reference's protocol and we keep it for compatibility.
 *
 * Deviation from the reference (issue #6): `update_polo_score` and `set_polo_score` are open to anyone in
 * the reference. Ours accepts them only when signed by the node whose score changes, over
 * `update_polo_score:<node_id>:<delta>` and `set_polo_score:<node_id>:<polo_score>`, with the numbers
 * written in decimal after truncation toward zero (the values the registry applies).
 *
 * @module
 */

import { verifyTextSignature } from "../crypto/mod.ts";
import { fail } from "./handler.ts";
import { readString } from "./fields.ts";
import type { RegistryMessage } from "./messages.ts";
import type { NodeRecord } from "./node_record.ts";

/** The challenge strings, one builder per signed message. */
export const CHALLENGES = {
  heartbeat: (id: number): string => `heartbeat:${id}`,
  deregister: (id: number): string => `deregister:${id}`,
  setVisibility: (id: number): string => `set_visibility:${id}`,
  setHostname: (id: number): string => `set_hostname:${id}`,
  setTags: (id: number): string => `set_tags:${id}`,
  setTaskExec: (id: number): string => `set_task_exec:${id}`,
  pollHandshakes: (id: number): string => `poll_handshakes:${id}`,
  resolve: (requester: number, target: number): string => `resolve:${requester}:${target}`,
  reportTrust: (id: number, peer: number): string => `report_trust:${id}:${peer}`,
  revokeTrust: (id: number, peer: number): string => `revoke_trust:${id}:${peer}`,
  punch: (a: number, b: number): string => `punch:${a}:${b}`,
  handshake: (from: number, to: number): string => `handshake:${from}:${to}`,
  respond: (id: number, peer: number): string => `respond:${id}:${peer}`,
  rotate: (id: number): string => `rotate:${id}`,
  updatePoloScore: (id: number, delta: number): string => `update_polo_score:${id}:${delta}`,
  setPoloScore: (id: number, score: number): string => `set_polo_score:${id}:${score}`,
} as const;

/** Texts of the three signature failures (§3.5.1), overridable where a message has its own wording. */
export interface SignatureTexts {
  missing?: string;
  invalid?: string;
}

/**
 * Checks `message.signature` against `challenge` under `node`'s key. A node without a key (legacy
 * snapshot data) accepts unsigned requests, as the reference does.
 */
export async function requireSignature(
  node: NodeRecord,
  challenge: string,
  message: RegistryMessage,
  texts: SignatureTexts = {},
): Promise<void> {
  if (node.publicKey === "") return;
  const signature = readString(message, "signature");
  if (signature === "") fail(texts.missing ?? "signature required for authenticated node");
  let decoded: Uint8Array;
  try {
    decoded = Uint8Array.fromBase64(signature);
  } catch {
    fail("invalid signature encoding");
  }
  if (decoded.byteLength !== 64 || !(await verifyTextSignature(node.publicKey, challenge, signature))) {
    fail(texts.invalid ?? "signature verification failed");
  }
}
