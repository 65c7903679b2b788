/**
 * Ed25519 identity signatures (RFC 8032, pure Ed25519): the signer used for registry requests
 * (control.md §3.5.1), port-444 handshake messages and PILA frames (network.md §3.3), and verifiers that
 * answer `false` on any bad input instead of throwing, since their input comes from the network.
 *
 * Synchronous `node:crypto` (about 25 µs per signature here): signatures are needed inside request
 * builders and frame handlers that should not have to await.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { PilotError } from "../errors.ts";
import { ed25519Pkcs8, ed25519Spki, rawFromSpki } from "./_der.ts";
import { equalBytes } from "./_bytes.ts";
import { tryDecodeBase64 } from "./base64.ts";

/** Ed25519 seed size (the first half of a Go-layout private key). */
export const ED25519_SEED_SIZE = 32;
/** Go/NaCl private key layout: seed ‖ public key. */
export const ED25519_PRIVATE_KEY_SIZE = 64;
/** Ed25519 public key size. */
export const ED25519_PUBLIC_KEY_SIZE = 32;
/** Ed25519 signature size. */
export const ED25519_SIGNATURE_SIZE = 64;

const encoder = new TextEncoder();

/** Derives the 32-byte public key of a 32-byte seed. */
export function ed25519PublicKeyFromSeed(seed: Uint8Array): Uint8Array {
  if (seed.byteLength !== ED25519_SEED_SIZE) {
    throw new PilotError("crypto_bad_private_key", `ed25519 seed is ${seed.byteLength} bytes, want 32`);
  }
  const key = createPrivateKey({ key: ed25519Pkcs8(seed), format: "der", type: "pkcs8" });
  return rawFromSpki(createPublicKey(key).export({ format: "der", type: "spki" }));
}

/**
 * Signs with one Ed25519 identity. Signatures are deterministic: the same key and message always give
 * the same 64 bytes (control.md §1).
 *
 * @example
 * ```ts
 * import { Ed25519Signer, verifyTextSignature } from "./ed25519.ts";
 * const signer = new Ed25519Signer(new Uint8Array(32).fill(7));
 * const signature = signer.signText("heartbeat:1");
 * if (!verifyTextSignature(signer.publicKeyBase64, "heartbeat:1", signature)) throw new Error("verifies");
 * ```
 */
export class Ed25519Signer {
  readonly #key: KeyObject;
  readonly #publicKey: Uint8Array;

  /**
   * @param privateKey a 64-byte Go-layout key (seed ‖ public) or a bare 32-byte seed.
   * @throws {PilotError} `crypto_bad_private_key` on another size, or when the public half of a 64-byte
   *   key is not the one its seed derives (a signature would then not verify anywhere).
   */
  constructor(privateKey: Uint8Array) {
    if (privateKey.byteLength !== ED25519_SEED_SIZE && privateKey.byteLength !== ED25519_PRIVATE_KEY_SIZE) {
      throw new PilotError(
        "crypto_bad_private_key",
        `ed25519 private key is ${privateKey.byteLength} bytes, want 32 (seed) or 64 (seed ‖ public)`,
      );
    }
    const seed = privateKey.subarray(0, ED25519_SEED_SIZE);
    this.#key = createPrivateKey({ key: ed25519Pkcs8(seed), format: "der", type: "pkcs8" });
    this.#publicKey = rawFromSpki(createPublicKey(this.#key).export({ format: "der", type: "spki" }));
    if (
      privateKey.byteLength === ED25519_PRIVATE_KEY_SIZE &&
      !equalBytes(privateKey.subarray(32), this.#publicKey)
    ) {
      throw new PilotError(
        "crypto_bad_private_key",
        "ed25519 private key: public half does not match the seed",
      );
    }
  }

  /** The 32-byte public key (a copy). */
  get publicKey(): Uint8Array {
    return new Uint8Array(this.#publicKey);
  }

  /** The public key as standard base64, as registered with the registry. */
  get publicKeyBase64(): string {
    return this.#publicKey.toBase64();
  }

  /** The 64-byte signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    const signature = sign(null, Buffer.from(message), this.#key);
    return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength);
  }

  /** Signs the ASCII/UTF-8 bytes of `text` (a challenge string) and returns standard base64. */
  signText(text: string): string {
    return this.sign(encoder.encode(text)).toBase64();
  }
}

/**
 * True when `signature` is a valid Ed25519 signature of `message` under `publicKey`. Wrong sizes, a
 * key that is not a curve point or any other bad input give `false`, never an exception.
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    // Inside the try too: a caller passing decoded JSON may hand us something that is not bytes at all.
    if (publicKey.byteLength !== ED25519_PUBLIC_KEY_SIZE || signature.byteLength !== ED25519_SIGNATURE_SIZE) {
      return false;
    }
    const key = createPublicKey({ key: ed25519Spki(publicKey), format: "der", type: "spki" });
    return verify(null, Buffer.from(message), key, Buffer.from(signature));
  } catch {
    // An unparseable key or non-byte input is simply not something this signature verifies under.
    return false;
  }
}

/**
 * Verifies a base64 signature of a text challenge (control.md §3.5.1) under a base64 public key.
 * Malformed base64 or wrong sizes give `false`.
 */
export function verifyTextSignature(publicKeyBase64: string, text: string, signatureBase64: string): boolean {
  if (
    typeof publicKeyBase64 !== "string" || typeof text !== "string" || typeof signatureBase64 !== "string"
  ) {
    return false;
  }
  const publicKey = tryDecodeBase64(publicKeyBase64, ED25519_PUBLIC_KEY_SIZE);
  const signature = tryDecodeBase64(signatureBase64, ED25519_SIGNATURE_SIZE);
  if (publicKey === undefined || signature === undefined) return false;
  return verifyEd25519(publicKey, encoder.encode(text), signature);
}
