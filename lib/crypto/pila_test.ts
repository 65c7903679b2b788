import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { Ed25519Signer } from "./ed25519.ts";
import { pilaChallenge, signPila, verifyPila } from "./pila.ts";

const X25519_PUBLIC = crypto.getRandomValues(new Uint8Array(32));
const signer = new Ed25519Signer(crypto.getRandomValues(new Uint8Array(32)));

function frame(overrides: Partial<Parameters<typeof verifyPila>[1]> = {}) {
  const base = {
    senderNode: 0x01020304,
    x25519Public: X25519_PUBLIC,
    ed25519Public: signer.publicKey,
    signature: signPila(signer, 0x01020304, X25519_PUBLIC),
  };
  return { ...base, ...overrides };
}

Deno.test("pila: the challenge is 'auth', the node id big-endian, then the X25519 key", () => {
  const challenge = pilaChallenge(0x01020304, X25519_PUBLIC);
  assert.equal(challenge.byteLength, 40);
  assert.deepEqual(challenge.subarray(0, 8), Uint8Array.of(0x61, 0x75, 0x74, 0x68, 1, 2, 3, 4));
  assert.deepEqual(challenge.subarray(8), X25519_PUBLIC);
});

Deno.test("pila: a bad node id or X25519 key size cannot form a challenge", () => {
  assert.throws(() => pilaChallenge(-1, X25519_PUBLIC), (err) => isPilotError(err, "crypto_bad_node_id"));
  assert.throws(
    () => pilaChallenge(2 ** 32, X25519_PUBLIC),
    (err) => isPilotError(err, "crypto_bad_node_id"),
  );
  assert.throws(
    () => pilaChallenge(1, new Uint8Array(31)),
    (err) => isPilotError(err, "crypto_bad_peer_key"),
  );
});

Deno.test("pila: a frame signed by the expected key verifies", () => {
  assert.ok(verifyPila(signer.publicKey, frame()));
});

Deno.test("pila: any changed field fails verification", () => {
  const flipped = (bytes: Uint8Array, i: number) => bytes.map((b, j) => (j === i ? b ^ 1 : b));
  assert.ok(!verifyPila(signer.publicKey, frame({ senderNode: 0x01020305 })));
  assert.ok(!verifyPila(signer.publicKey, frame({ x25519Public: flipped(X25519_PUBLIC, 31) })));
  assert.ok(!verifyPila(signer.publicKey, frame({ signature: flipped(frame().signature, 0) })));
  assert.ok(!verifyPila(signer.publicKey, frame({ ed25519Public: flipped(signer.publicKey, 5) })));
});

Deno.test("pila: a frame validly signed by a key other than the expected one is refused", () => {
  const impostor = new Ed25519Signer(crypto.getRandomValues(new Uint8Array(32)));
  const forged = frame({
    ed25519Public: impostor.publicKey,
    signature: signPila(impostor, 0x01020304, X25519_PUBLIC),
  });
  assert.ok(!verifyPila(signer.publicKey, forged), "frame key differs from the registry's");
  assert.ok(verifyPila(impostor.publicKey, forged), "sanity: it is a valid signature under its own key");
  // The frame carries the expected key but the impostor's signature: checked with the expected key.
  assert.ok(!verifyPila(signer.publicKey, { ...forged, ed25519Public: signer.publicKey }));
});

Deno.test("pila: garbage answers false and never throws", () => {
  assert.ok(!verifyPila(new Uint8Array(31), frame()));
  assert.ok(!verifyPila(signer.publicKey, frame({ senderNode: -5 })));
  assert.ok(!verifyPila(signer.publicKey, frame({ senderNode: Number.NaN })));
  assert.ok(!verifyPila(signer.publicKey, frame({ x25519Public: new Uint8Array(0) })));
  assert.ok(!verifyPila(signer.publicKey, frame({ signature: new Uint8Array(63) })));
  // @ts-expect-error: a decoder bug handing over non-bytes must still not throw
  assert.ok(!verifyPila(signer.publicKey, { senderNode: 1 }));
});
