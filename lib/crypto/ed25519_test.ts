import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { ed25519PublicKeyFromSeed, Ed25519Signer, verifyEd25519, verifyTextSignature } from "./ed25519.ts";

const hex = (text: string) => Uint8Array.fromHex(text.toLowerCase());
// RFC 8032 §7.1 test 1 (network.md TV-8).
const SEED = hex("9D61B19DEFFD5A60BA844AF492EC2CC44449C5697B326919703BAC031CAE7F60");
const PUBLIC = hex("D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A");
const EMPTY_SIGNATURE = hex(
  "E5564300C360AC729086E2CC806E828A84877F1EB8E5D974D873E065224901555FB8821590A33BACC61E39701CF9B46BD25BF5F0595BBE24655141438E7A100B",
);

Deno.test("ed25519: a seed gives the RFC 8032 public key and signature", () => {
  assert.deepEqual(ed25519PublicKeyFromSeed(SEED), PUBLIC);
  const signer = new Ed25519Signer(SEED);
  assert.deepEqual(signer.publicKey, PUBLIC);
  assert.deepEqual(signer.sign(new Uint8Array(0)), EMPTY_SIGNATURE);
  assert.ok(verifyEd25519(PUBLIC, new Uint8Array(0), EMPTY_SIGNATURE));
});

Deno.test("ed25519: the 64-byte Go layout signs exactly like its seed", () => {
  const full = new Uint8Array([...SEED, ...PUBLIC]);
  const message = new TextEncoder().encode("heartbeat:7");
  assert.deepEqual(new Ed25519Signer(full).sign(message), new Ed25519Signer(SEED).sign(message));
  assert.equal(
    new Ed25519Signer(full).signText("heartbeat:7"),
    new Ed25519Signer(SEED).sign(message).toBase64(),
  );
});

Deno.test("ed25519: a private key of the wrong size or with a foreign public half is refused", () => {
  const bad = (err: unknown) => isPilotError(err, "crypto_bad_private_key");
  for (const size of [0, 31, 33, 63, 65]) assert.throws(() => new Ed25519Signer(new Uint8Array(size)), bad);
  const foreign = new Uint8Array([...SEED, ...new Uint8Array(32).fill(1)]);
  assert.throws(() => new Ed25519Signer(foreign), bad);
  assert.throws(() => ed25519PublicKeyFromSeed(new Uint8Array(64)), bad);
});

Deno.test("ed25519: a changed message, signature or key does not verify", () => {
  const signer = new Ed25519Signer(SEED);
  const signature = signer.signText("set_hostname:1");
  assert.ok(verifyTextSignature(signer.publicKeyBase64, "set_hostname:1", signature));
  assert.ok(!verifyTextSignature(signer.publicKeyBase64, "set_hostname:2", signature));
  const flipped = Uint8Array.fromBase64(signature);
  flipped[10] ^= 0x80;
  assert.ok(!verifyTextSignature(signer.publicKeyBase64, "set_hostname:1", flipped.toBase64()));
  const other = new Ed25519Signer(new Uint8Array(32).fill(3));
  assert.ok(!verifyTextSignature(other.publicKeyBase64, "set_hostname:1", signature));
});

Deno.test("ed25519: garbage input to the verifiers answers false and never throws", () => {
  const sig = new Ed25519Signer(SEED).sign(Uint8Array.of(1));
  const cases: [Uint8Array, Uint8Array][] = [
    [new Uint8Array(31), sig],
    [new Uint8Array(33), sig],
    [PUBLIC, new Uint8Array(63)],
    [PUBLIC, new Uint8Array(65)],
    [new Uint8Array(0), new Uint8Array(0)],
    [new Uint8Array(32).fill(0xff), sig], // not a point on the curve
    [PUBLIC, new Uint8Array(64).fill(0xff)], // s out of range
  ];
  for (const [key, signature] of cases) assert.equal(verifyEd25519(key, Uint8Array.of(1), signature), false);
  const b64Key = PUBLIC.toBase64();
  const b64Sig = sig.toBase64();
  const texts: [string, string][] = [
    ["", b64Sig],
    [b64Key, ""],
    ["not base64!", b64Sig],
    [b64Key, b64Sig.slice(0, -2)], // padding removed
    [b64Key.replace("=", ""), b64Sig],
    [b64Key, b64Sig.replaceAll("+", "-").replaceAll("/", "_")], // url alphabet (only if it had + or /)
    [b64Key, ` ${b64Sig}`],
    [b64Key.slice(0, -4), b64Sig], // 30 bytes
    [b64Key, new Uint8Array(65).toBase64()],
  ];
  // The url-alphabet variant equals the original when the signature has no + or /: not a bad input then.
  for (const [key, signature] of texts.filter(([k, s]) => k !== b64Key || s !== b64Sig)) {
    assert.equal(verifyTextSignature(key, "\u0001", signature), false, `${key} / ${signature}`);
  }
  const junk: unknown[] = [undefined, null, 42, {}, []];
  for (const value of junk) {
    // @ts-expect-error: decoded JSON handed straight in must still not throw
    assert.equal(verifyTextSignature(value, "x", value), false);
    // @ts-expect-error: same for the byte verifier
    assert.equal(verifyEd25519(value, Uint8Array.of(1), value), false);
  }
});
