/**
 * Fixed DER wrappers (RFC 8410) that turn raw 32-byte X25519 / Ed25519 keys into the PKCS #8 and SPKI
 * forms `node:crypto` imports. Raw private keys cannot be imported directly (DENO-NOTES.md).
 *
 * @module
 */

import { Buffer } from "node:buffer";

const X25519_PKCS8_PREFIX = Uint8Array.fromHex("302e020100300506032b656e04220420");
const X25519_SPKI_PREFIX = Uint8Array.fromHex("302a300506032b656e032100");
const ED25519_PKCS8_PREFIX = Uint8Array.fromHex("302e020100300506032b657004220420");
const ED25519_SPKI_PREFIX = Uint8Array.fromHex("302a300506032b6570032100");

/** Length of every SPKI prefix above; the raw key follows it. */
export const SPKI_PREFIX_SIZE = 12;

function wrap(prefix: Uint8Array, raw: Uint8Array): Buffer {
  const out = Buffer.alloc(prefix.byteLength + raw.byteLength);
  out.set(prefix, 0);
  out.set(raw, prefix.byteLength);
  return out;
}

/** PKCS #8 DER of a raw 32-byte X25519 private key. */
export function x25519Pkcs8(raw: Uint8Array): Buffer {
  return wrap(X25519_PKCS8_PREFIX, raw);
}

/** SPKI DER of a raw 32-byte X25519 public key. */
export function x25519Spki(raw: Uint8Array): Buffer {
  return wrap(X25519_SPKI_PREFIX, raw);
}

/** PKCS #8 DER of a 32-byte Ed25519 seed. */
export function ed25519Pkcs8(seed: Uint8Array): Buffer {
  return wrap(ED25519_PKCS8_PREFIX, seed);
}

/** SPKI DER of a raw 32-byte Ed25519 public key. */
export function ed25519Spki(raw: Uint8Array): Buffer {
  return wrap(ED25519_SPKI_PREFIX, raw);
}

/** The raw 32-byte key at the end of an SPKI DER export. */
export function rawFromSpki(der: Uint8Array): Uint8Array {
  return new Uint8Array(der.subarray(SPKI_PREFIX_SIZE)); // copy: callers keep it past the Buffer's life
}
