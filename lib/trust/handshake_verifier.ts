/**
 * Receiver-side validation of a port-444 message (control.md §7.3 steps 1–4), hardened where the reference
 * is not (the list of deviations is in `trust_manager.ts`). Every failure is a {@linkcode DropReason};
 * nothing here throws on bad input.
 *
 * Order: decode → not from ourselves, and from the node the connection came from → timestamp window →
 * replay (a cheap early look) → key check against the registry → signature → replay (recorded only now, so
 * forged messages cannot fill the cache).
 *
 * @module
 */

import { isPilotError } from "../errors.ts";
import { MAX_MESSAGE_AGE_MS, MAX_MESSAGE_SKEW_MS } from "./constants.ts";
import { decodeHandshakeMessage, encodeHandshakeMessage, handshakeChallenge } from "./handshake_message.ts";
import type { HandshakeMessage } from "./handshake_message.ts";
import type { PeerKeyCache, PeerRecord } from "./peer_key_cache.ts";
import { ReplayCache, replayKey } from "./replay_cache.ts";

/** Why a message was dropped. */
export const DROP_REASONS = {
  malformed: "malformed",
  self: "self",
  sourceMismatch: "source_mismatch",
  stale: "stale",
  future: "future",
  replay: "replay",
  keyUnavailable: "key_unavailable",
  missingKey: "missing_key",
  keyMismatch: "key_mismatch",
  badSignature: "bad_signature",
  unknownType: "unknown_type",
  unsolicited: "unsolicited",
  internal: "internal",
} as const;

/** One of {@linkcode DROP_REASONS}. */
export type DropReason = typeof DROP_REASONS[keyof typeof DROP_REASONS];

/** A message that passed every check, with the key it verified under. */
export interface VerifiedMessage {
  ok: true;
  message: HandshakeMessage;
  /** The key the signature verified under (the registry's when it holds one). */
  publicKey: string;
  /** The registry's record of the sender. */
  record: PeerRecord;
}

/** A dropped message. */
export interface RejectedMessage {
  ok: false;
  reason: DropReason;
  detail: string;
}

/** Signature check; {@linkcode verifyTextSignature} of `lib/crypto` fits. Must not throw. */
export type TextVerifier = (publicKeyBase64: string, text: string, signatureBase64: string) =>
  | boolean
  | Promise<boolean>;

/** Options of {@linkcode HandshakeVerifier}. */
export interface HandshakeVerifierOptions {
  keys: PeerKeyCache;
  verify: TextVerifier;
  replay?: ReplayCache;
}

/** Context of one received message. */
export interface VerifyContext {
  ownNodeId: number;
  /** Unix ms. */
  nowMs: number;
  /** The node the port-444 connection came from, when the transport knows it. */
  sourceNodeId?: number;
}

/** Checks port-444 messages; owns the replay cache. */
export class HandshakeVerifier {
  readonly #keys: PeerKeyCache;
  readonly #verify: TextVerifier;
  readonly #replay: ReplayCache;

  constructor(options: HandshakeVerifierOptions) {
    this.#keys = options.keys;
    this.#verify = options.verify;
    this.#replay = options.replay ?? new ReplayCache();
  }

  /** Validates the first data chunk of a port-444 connection. */
  async check(bytes: Uint8Array, context: VerifyContext): Promise<VerifiedMessage | RejectedMessage> {
    let message: HandshakeMessage;
    try {
      message = decodeHandshakeMessage(bytes);
    } catch (err) {
      if (!isPilotError(err)) throw err;
      return reject("malformed", err.message);
    }
    const sender = message.nodeId;
    if (sender === context.ownNodeId) return reject("self", `message claims our own node id ${sender}`);
    if (context.sourceNodeId !== undefined && context.sourceNodeId !== sender) {
      return reject("source_mismatch", `node_id ${sender} arrived from node ${context.sourceNodeId}`);
    }
    const ageMs = context.nowMs - message.timestamp * 1000;
    if (ageMs > MAX_MESSAGE_AGE_MS) {
      return reject("stale", `timestamp ${message.timestamp} is ${ageMs} ms old`);
    }
    if (-ageMs > MAX_MESSAGE_SKEW_MS) {
      return reject("future", `timestamp ${message.timestamp} is ${-ageMs} ms ahead`);
    }
    const key = replayKey(encodeHandshakeMessage(message));
    if (this.#replay.has(key, context.nowMs)) {
      return reject("replay", `message from node ${sender} seen before`);
    }

    let record = await this.#keys.get(sender);
    if (record === undefined) return reject("key_unavailable", `no registry record for node ${sender}`);
    let publicKey = record.publicKey;
    if (publicKey === "") {
      // Legacy record without a key: only the message's own key is left (the reference's rule), and an
      // unsigned message cannot be checked at all.
      if (message.publicKey === "") return reject("missing_key", `node ${sender} has no key anywhere`);
      publicKey = message.publicKey;
    } else if (message.publicKey === "") {
      return reject("missing_key", `message of node ${sender} carries no public_key`);
    } else if (message.publicKey !== publicKey) {
      // Either the peer rotated its key since we cached it, or someone else is using its node id.
      record = await this.#keys.refresh(sender);
      if (record === undefined || record.publicKey !== message.publicKey) {
        return reject("key_mismatch", `message key of node ${sender} is not the registry's`);
      }
      publicKey = record.publicKey;
    }

    const challenge = handshakeChallenge(sender, context.ownNodeId);
    if (!(await this.#verify(publicKey, challenge, message.signature))) {
      return reject("bad_signature", `signature of node ${sender} does not verify over ${challenge}`);
    }
    // Recorded after verification; checked again because another copy may have been verified meanwhile.
    if (!this.#replay.add(key, message.timestamp, context.nowMs)) {
      return reject("replay", `message from node ${sender} seen before`);
    }
    return { ok: true, message, publicKey, record };
  }
}

function reject(reason: DropReason, detail: string): RejectedMessage {
  return { ok: false, reason, detail };
}
