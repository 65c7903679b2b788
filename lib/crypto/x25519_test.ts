import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import {
  deriveSharedSecret,
  deriveTunnelKey,
  deriveTunnelKeyFromPeer,
  generateTunnelKeyPair,
  importTunnelPrivateKey,
  TUNNEL_KEY_PREFIX,
} from "./x25519.ts";

const hex = (text: string) => Uint8Array.fromHex(text.toLowerCase());
// RFC 7748 §6.1 (network.md TV-8).
const ALICE_PRIVATE = hex("77076D0A7318A57D3C16C17251B26645DF4C2F87EBC0992AB177FBA51DB92C2A");
const ALICE_PUBLIC = hex("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A");
const BOB_PRIVATE = hex("5DAB087E624A8A4B79E17F8B83800EE66F3BB1292618B6FD1C2F8B27FF88E0EB");
const BOB_PUBLIC = hex("DE9EDB7D7B7DC1B4D35B61C2ECE435373F8343C85B78674DADFC7E146F882B4F");

Deno.test("x25519: an imported private key yields its RFC 7748 public key", () => {
  assert.deepEqual(importTunnelPrivateKey(ALICE_PRIVATE).publicKey, ALICE_PUBLIC);
  assert.deepEqual(importTunnelPrivateKey(BOB_PRIVATE).publicKey, BOB_PUBLIC);
});

Deno.test("x25519: both sides of a generated pair derive the same tunnel key", () => {
  const a = generateTunnelKeyPair();
  const b = generateTunnelKeyPair();
  assert.equal(a.publicKey.byteLength, 32);
  assert.notDeepEqual(a.publicKey, b.publicKey);
  const ka = deriveTunnelKeyFromPeer(a.privateKey, b.publicKey);
  const kb = deriveTunnelKeyFromPeer(b.privateKey, a.publicKey);
  assert.deepEqual(ka, kb);
  assert.equal(ka.byteLength, 32);
});

Deno.test("x25519: the tunnel key is SHA-256 of the ASCII prefix then the secret", async () => {
  const shared = crypto.getRandomValues(new Uint8Array(32));
  const input = new Uint8Array([...new TextEncoder().encode(TUNNEL_KEY_PREFIX), ...shared]);
  assert.equal(input.byteLength, 48);
  const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  assert.deepEqual(deriveTunnelKey(shared), expected);
});

Deno.test("x25519: a peer key of the wrong size is refused", () => {
  const { privateKey } = importTunnelPrivateKey(ALICE_PRIVATE);
  for (const size of [0, 31, 33, 64]) {
    assert.throws(
      () => deriveSharedSecret(privateKey, new Uint8Array(size)),
      (err) => isPilotError(err, "crypto_bad_peer_key") && err.message.includes(`${size} bytes`),
    );
  }
});

Deno.test("x25519: low-order peer points that give an all-zero secret are refused", () => {
  const { privateKey } = importTunnelPrivateKey(ALICE_PRIVATE);
  const lowOrder = [
    new Uint8Array(32), // 0
    Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)), // 1
    hex("E0EB7A7C3B41B8AE1656E3FAF19FC46ADA098DEB9C32B1FD866205165F49B800"), // order 8
    hex("5F9C95BCA3508C24B1D0B1559C83EF5B04445CC4581C8E86D8224EDDD09F1157"), // order 8
  ];
  for (const point of lowOrder) {
    assert.throws(
      () => deriveSharedSecret(privateKey, point),
      (err) => isPilotError(err, "crypto_bad_peer_key"),
    );
  }
});

Deno.test("x25519: a private key that is not 32 bytes is refused", () => {
  assert.throws(
    () => importTunnelPrivateKey(new Uint8Array(31)),
    (err) => isPilotError(err, "crypto_bad_private_key"),
  );
});
