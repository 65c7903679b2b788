/**
 * The PILA authenticated key exchange signature (network.md §3.3, §3.7, §4.2): the sender signs the
 * 40-byte challenge ASCII `auth` ‖ node ID (u32 BE) ‖ its X25519 public key. The challenge has no
 * peer ID, nonce or timestamp (reference quirk Q11: a captured PILA can be replayed).
 *
 * Frame layout and parsing belong to lib/protocol; this module only builds and checks the signature.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { equalBytes } from "./_bytes.ts";
import { ED25519_PUBLIC_KEY_SIZE, verifyEd25519 } from "./ed25519.ts";
import type { Ed25519Signer } from "./ed25519.ts";
import { X25519_KEY_SIZE } from "./x25519.ts";

/** Size of the signed challenge. */
export const PILA_CHALLENGE_SIZE = 40;

const AUTH = Uint8Array.of(0x61, 0x75, 0x74, 0x68); // "auth"

/**
 * The 40-byte challenge a PILA signature covers.
 *
 * @throws {PilotError} `crypto_bad_peer_key` when `x25519Public` is not 32 bytes; `crypto_bad_node_id`
 *   when `nodeId` is not a u32.
 *
 * @example
 * ```ts
 * import { pilaChallenge } from "./pila.ts";
 * const challenge = pilaChallenge(1, new Uint8Array(32));
 * if (challenge.byteLength !== 40 || challenge[7] !== 1) throw new Error("auth ‖ id ‖ key");
 * ```
 */
export function pilaChallenge(nodeId: number, x25519Public: Uint8Array): Uint8Array {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 0xffff_ffff) {
    throw new PilotError("crypto_bad_node_id", `node id ${nodeId} is not a u32`);
  }
  if (x25519Public.byteLength !== X25519_KEY_SIZE) {
    throw new PilotError(
      "crypto_bad_peer_key",
      `x25519 key is ${x25519Public.byteLength} bytes, want ${X25519_KEY_SIZE}`,
    );
  }
  const out = new Uint8Array(PILA_CHALLENGE_SIZE);
  out.set(AUTH, 0);
  new DataView(out.buffer).setUint32(4, nodeId);
  out.set(x25519Public, 8);
  return out;
}

/** Signs our PILA challenge: returns the 64-byte signature placed at offset 72 of the frame. */
export function signPila(signer: Ed25519Signer, nodeId: number, x25519Public: Uint8Array): Uint8Array {
  return signer.sign(pilaChallenge(nodeId, x25519Public));
}

/** The PILA fields a check needs; lib/protocol's decoded `PilaFrame` has this shape. */
export interface PilaFields {
  readonly senderNode: number;
  readonly x25519Public: Uint8Array;
  readonly ed25519Public: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Checks a received PILA (§3.7 steps 2–3): the Ed25519 key carried in the frame must be byte-identical
 * to the key we expect for that node (the registry's copy), and the signature must verify under the
 * expected key, never under the frame's own key. Any bad input gives `false`.
 */
export function verifyPila(expectedPublicKey: Uint8Array, frame: PilaFields): boolean {
  try {
    if (expectedPublicKey.byteLength !== ED25519_PUBLIC_KEY_SIZE) return false;
    if (!equalBytes(frame.ed25519Public, expectedPublicKey)) return false;
    return verifyEd25519(
      expectedPublicKey,
      pilaChallenge(frame.senderNode, frame.x25519Public),
      frame.signature,
    );
  } catch {
    // A malformed node id or key length means the frame does not authenticate; nothing to report.
    return false;
  }
}
