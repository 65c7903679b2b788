/**
 * lib/crypto: tunnel key agreement (X25519 → SHA-256 tunnel key), the per-peer AES-256-GCM cipher and
 * its replay window, Ed25519 signing and verification, PILA signatures and the node identity file.
 *
 * @module
 */

export * from "./aead.ts";
export * from "./base64.ts";
export * from "./ed25519.ts";
export * from "./identity.ts";
export * from "./pila.ts";
export * from "./replay_window.ts";
export * from "./seal_stream.ts";
export * from "./x25519.ts";
