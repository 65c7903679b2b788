/**
 * The port-444 trust handshake message (control.md §7.3): one JSON object per connection, members always
 * present and written in the order the reference uses, so captured messages re-encode byte for byte.
 *
 * Pure codec: no I/O, no clock. Freshness, replay and signature checks live in `handshake_verifier.ts`.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { escapeGoJson } from "../json/go_json.ts";
import { HANDSHAKE_TYPES, MAX_HANDSHAKE_MESSAGE_BYTES } from "./constants.ts";

/** One of the four message types the reference sends. */
export type HandshakeType = typeof HANDSHAKE_TYPES[keyof typeof HANDSHAKE_TYPES];

/**
 * A decoded message. `type` stays a plain string: unknown types are valid JSON that the receiver
 * verifies and then ignores (§7.3 step 5), and they must re-encode unchanged for the replay hash.
 */
export interface HandshakeMessage {
  readonly type: string;
  /** Sender's node id. */
  readonly nodeId: number;
  /** Sender's Ed25519 public key, standard base64, or `""`. */
  readonly publicKey: string;
  readonly justification: string;
  /** Base64 Ed25519 signature over {@linkcode handshakeChallenge}(sender, receiver). */
  readonly signature: string;
  readonly reason: string;
  /** Sender's clock, Unix seconds. */
  readonly timestamp: number;
}

/** True for the four types of §7.3. */
export function isHandshakeType(type: string): type is HandshakeType {
  return type === HANDSHAKE_TYPES.request || type === HANDSHAKE_TYPES.accept ||
    type === HANDSHAKE_TYPES.reject || type === HANDSHAKE_TYPES.revoke;
}

/**
 * The ASCII text every message signs, whatever its type (§7.3, network.md §4.4).
 *
 * @example
 * ```ts
 * import { handshakeChallenge } from "./handshake_message.ts";
 * if (handshakeChallenge(1, 2) !== "handshake:1:2") throw new Error("decimal ids, sender first");
 * ```
 */
export function handshakeChallenge(senderId: number, receiverId: number): string {
  return `handshake:${senderId}:${receiverId}`;
}

function isUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
}

/**
 * The message as JSON text, members in the observed order.
 *
 * @example
 * ```ts
 * import { encodeHandshakeText } from "./handshake_message.ts";
 * const text = encodeHandshakeText({
 *   type: "handshake_request", nodeId: 5, publicKey: "", justification: "a<b",
 *   signature: "", reason: "", timestamp: 1795545456,
 * });
 * if (!text.startsWith('{"type":"handshake_request","node_id":5,')) throw new Error(text);
 * if (!text.includes('"justification":"a\\u003cb"')) throw new Error(text);
 * ```
 */
export function encodeHandshakeText(message: HandshakeMessage): string {
  if (!isUint32(message.nodeId)) {
    throw new PilotError(
      "invalid_argument",
      `handshake node_id ${message.nodeId} is not a 32-bit unsigned id`,
    );
  }
  if (!Number.isSafeInteger(message.timestamp)) {
    throw new PilotError("invalid_argument", `handshake timestamp ${message.timestamp} is not an integer`);
  }
  // An array literal fixes the member order; JSON.stringify writes each string the way the reference does.
  const members: [string, string | number][] = [
    ["type", message.type],
    ["node_id", message.nodeId],
    ["public_key", message.publicKey],
    ["justification", message.justification],
    ["signature", message.signature],
    ["reason", message.reason],
    ["timestamp", message.timestamp],
  ];
  const body = members.map(([key, value]) => `"${key}":${JSON.stringify(value)}`).join(",");
  return escapeGoJson(`{${body}}`);
}

/** The message as the UTF-8 bytes written to the port-444 connection. */
export function encodeHandshakeMessage(message: HandshakeMessage): Uint8Array {
  return new TextEncoder().encode(encodeHandshakeText(message));
}

// Non-fatal like the reference's decoder (invalid UTF-8 becomes U+FFFD); a BOM is kept so that JSON.parse
// refuses it, as the reference does.
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Parses the first data chunk of a port-444 connection.
 *
 * Every member must be present with its JSON type (reference senders always write all seven); extra members
 * are ignored. Throws `PilotError` with `proto_handshake_too_large`, `proto_handshake_json` or
 * `proto_handshake_field` (the message names the member).
 */
export function decodeHandshakeMessage(bytes: Uint8Array): HandshakeMessage {
  if (bytes.byteLength > MAX_HANDSHAKE_MESSAGE_BYTES) {
    throw new PilotError(
      "proto_handshake_too_large",
      `handshake message of ${bytes.byteLength} bytes, limit is ${MAX_HANDSHAKE_MESSAGE_BYTES}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(bytes));
  } catch (err) {
    throw new PilotError("proto_handshake_json", "handshake message is not valid JSON", { cause: err });
  }
  return parseHandshakeMessage(value);
}

/** Validates an already parsed JSON value as a handshake message (see {@linkcode decodeHandshakeMessage}). */
export function parseHandshakeMessage(value: unknown): HandshakeMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PilotError("proto_handshake_field", "handshake message is not a JSON object");
  }
  const type = stringMember(value, "type");
  if (type === "") throw new PilotError("proto_handshake_field", "handshake type is empty");
  const nodeId = numberMember(value, "node_id");
  if (!isUint32(nodeId) || nodeId === 0) {
    throw new PilotError(
      "proto_handshake_field",
      `handshake node_id ${nodeId} is not a node id (1..4294967295)`,
    );
  }
  const timestamp = numberMember(value, "timestamp");
  if (!Number.isSafeInteger(timestamp)) {
    throw new PilotError("proto_handshake_field", `handshake timestamp ${timestamp} is not an integer`);
  }
  return {
    type,
    nodeId,
    publicKey: stringMember(value, "public_key"),
    justification: stringMember(value, "justification"),
    signature: stringMember(value, "signature"),
    reason: stringMember(value, "reason"),
    timestamp,
  };
}

function member(object: object, key: string): unknown {
  // Own members only: "__proto__" or "constructor" in hostile input must not reach the prototype chain.
  if (!Object.hasOwn(object, key)) {
    throw new PilotError("proto_handshake_field", `handshake member ${key} is missing`);
  }
  return Reflect.get(object, key);
}

function stringMember(object: object, key: string): string {
  const value = member(object, key);
  if (typeof value !== "string") {
    throw new PilotError(
      "proto_handshake_field",
      `handshake member ${key} must be a string, got ${kind(value)}`,
    );
  }
  return value;
}

function numberMember(object: object, key: string): number {
  const value = member(object, key);
  if (typeof value !== "number") {
    throw new PilotError(
      "proto_handshake_field",
      `handshake member ${key} must be a number, got ${kind(value)}`,
    );
  }
  return value;
}

function kind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}
