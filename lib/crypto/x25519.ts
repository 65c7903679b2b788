/**
 * X25519 tunnel keys and the tunnel key derivation of network.md §3.4:
 * `key = SHA-256("pilot-tunnel-v1:" ‖ X25519(own_private, peer_public))`, plain SHA-256, no HKDF.
 *
 * The key pair lives in memory only and is regenerated at every daemon start (§3.3). Everything here is
 * synchronous (`node:crypto`): a key exchange happens once per peer, and a sync call lets the tunnel
 * build a peer's context in the same turn that accepted the PILA/PILK.
 *
 * @module
 */

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
} from "node:crypto";
import type { KeyObject } from "node:crypto";
import { PilotError } from "../errors.ts";
import { rawFromSpki, x25519Pkcs8, x25519Spki } from "./_der.ts";

/** Size of an X25519 public key, private key and shared secret. */
export const X25519_KEY_SIZE = 32;

/** ASCII domain prefix hashed before the shared secret (16 bytes, no NUL). */
export const TUNNEL_KEY_PREFIX = "pilot-tunnel-v1:";

// Private key objects by handle, so the handle itself exposes nothing.
const KEY_OBJECTS = new WeakMap<TunnelPrivateKey, KeyObject>();

/** An X25519 private key held inside the crypto layer; its bytes are never exposed. */
export class TunnelPrivateKey {
  private constructor() {}

  /** Wraps a `node:crypto` key object (module use only). */
  static wrap(key: KeyObject): TunnelPrivateKey {
    const handle = new TunnelPrivateKey();
    KEY_OBJECTS.set(handle, key);
    return handle;
  }
}

function keyObjectOf(handle: TunnelPrivateKey): KeyObject {
  const key = KEY_OBJECTS.get(handle);
  if (key === undefined) throw new Error("tunnel private key handle was not made by x25519.ts");
  return key;
}

/** A tunnel key pair: the private half stays opaque, the public half is the 32 bytes sent in PILK/PILA. */
export interface TunnelKeyPair {
  readonly privateKey: TunnelPrivateKey;
  readonly publicKey: Uint8Array;
}

function pairFromPrivate(privateKey: KeyObject): TunnelKeyPair {
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey: TunnelPrivateKey.wrap(privateKey), publicKey: rawFromSpki(spki) };
}

/**
 * Generates a fresh random X25519 key pair (one per daemon start, §3.3).
 *
 * @example
 * ```ts
 * import { generateTunnelKeyPair } from "./x25519.ts";
 * const pair = generateTunnelKeyPair();
 * if (pair.publicKey.byteLength !== 32) throw new Error("32-byte public key");
 * ```
 */
export function generateTunnelKeyPair(): TunnelKeyPair {
  return pairFromPrivate(generateKeyPairSync("x25519").privateKey);
}

/**
 * Imports a raw 32-byte X25519 private key (test vectors; the daemon always generates its key).
 *
 * @throws {PilotError} `crypto_bad_private_key` when `raw` is not 32 bytes.
 */
export function importTunnelPrivateKey(raw: Uint8Array): TunnelKeyPair {
  if (raw.byteLength !== X25519_KEY_SIZE) {
    throw new PilotError(
      "crypto_bad_private_key",
      `x25519 private key is ${raw.byteLength} bytes, want ${X25519_KEY_SIZE}`,
    );
  }
  return pairFromPrivate(createPrivateKey({ key: x25519Pkcs8(raw), format: "der", type: "pkcs8" }));
}

/**
 * X25519(own private, peer public). A peer key that is not 32 bytes, or a low-order point that gives an
 * all-zero secret, fails the exchange (§3.4): such a secret would let an attacker pick our key.
 *
 * @throws {PilotError} `crypto_bad_peer_key`.
 */
export function deriveSharedSecret(privateKey: TunnelPrivateKey, peerPublic: Uint8Array): Uint8Array {
  if (peerPublic.byteLength !== X25519_KEY_SIZE) {
    throw new PilotError(
      "crypto_bad_peer_key",
      `peer x25519 key is ${peerPublic.byteLength} bytes, want ${X25519_KEY_SIZE}`,
    );
  }
  let shared: Uint8Array;
  try {
    const publicKey = createPublicKey({ key: x25519Spki(peerPublic), format: "der", type: "spki" });
    shared = new Uint8Array(diffieHellman({ privateKey: keyObjectOf(privateKey), publicKey }));
  } catch (cause) {
    // OpenSSL itself refuses an all-zero result; either way it is the peer key's fault.
    throw new PilotError("crypto_bad_peer_key", "x25519 key agreement failed with this peer key", { cause });
  }
  if (shared.every((b) => b === 0)) {
    throw new PilotError("crypto_bad_peer_key", "peer x25519 key gives an all-zero shared secret");
  }
  return shared;
}

/**
 * The AES-256-GCM tunnel key: SHA-256 of the ASCII prefix `pilot-tunnel-v1:` followed by the shared
 * secret (§3.4). Both directions use this one key.
 */
export function deriveTunnelKey(shared: Uint8Array): Uint8Array {
  const digest = createHash("sha256").update(TUNNEL_KEY_PREFIX).update(shared).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** {@linkcode deriveSharedSecret} then {@linkcode deriveTunnelKey}, for the key-exchange handlers. */
export function deriveTunnelKeyFromPeer(privateKey: TunnelPrivateKey, peerPublic: Uint8Array): Uint8Array {
  return deriveTunnelKey(deriveSharedSecret(privateKey, peerPublic));
}
