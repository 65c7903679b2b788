import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { NONCE_SIZE, nonceCounter, TAG_SIZE, TunnelCipher } from "./aead.ts";

const KEY = crypto.getRandomValues(new Uint8Array(32));
const isAuthFailure = (err: unknown) => isPilotError(err, "crypto_auth_failed");

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] ^= 0x01;
  return copy;
}

Deno.test("aead: seal and open round trip on both paths, across paths", async () => {
  const cipher = new TunnelCipher(KEY);
  const plaintext = crypto.getRandomValues(new Uint8Array(4096));
  const a = await cipher.seal(plaintext);
  const b = cipher.sealSync(plaintext);
  assert.equal(a.sealed.byteLength, plaintext.byteLength + TAG_SIZE);
  assert.deepEqual(await cipher.open(a.nonce, a.sealed), plaintext);
  assert.deepEqual(cipher.openSync(a.nonce, a.sealed), plaintext);
  assert.deepEqual(await cipher.open(b.nonce, b.sealed), plaintext);
  assert.deepEqual(cipher.openSync(b.nonce, b.sealed), plaintext);
  // A second cipher with the same key (the peer) opens what the first sealed.
  assert.deepEqual(new TunnelCipher(KEY).openSync(a.nonce, a.sealed), plaintext);
});

Deno.test("aead: an empty plaintext seals to just the tag", async () => {
  const cipher = new TunnelCipher(KEY);
  const frame = cipher.sealSync(new Uint8Array(0));
  assert.equal(frame.sealed.byteLength, TAG_SIZE);
  assert.equal((await cipher.open(frame.nonce, frame.sealed)).byteLength, 0);
  assert.equal(cipher.openSync(frame.nonce, frame.sealed).byteLength, 0);
});

Deno.test("aead: counters start at 1 and are assigned when seal is called, not when it completes", async () => {
  const prefix = Uint8Array.of(1, 2, 3, 4);
  const cipher = new TunnelCipher(KEY, { noncePrefix: prefix });
  assert.equal(cipher.nextCounter, 1);
  const pending = Array.from({ length: 64 }, (_, i) => cipher.seal(Uint8Array.of(i)));
  assert.equal(cipher.nextCounter, 65, "all 64 counters taken before any await");
  const sync = cipher.sealSync(Uint8Array.of(99));
  assert.equal(sync.counter, 65);
  const frames = await Promise.all(pending);
  for (const [i, frame] of frames.entries()) {
    assert.equal(frame.counter, i + 1);
    assert.equal(nonceCounter(frame.nonce), BigInt(i + 1));
    assert.deepEqual(frame.nonce.subarray(0, 4), prefix);
    assert.deepEqual(cipher.openSync(frame.nonce, frame.sealed), Uint8Array.of(i));
  }
});

Deno.test("aead: the caller may reuse its plaintext buffer right after seal returns", async () => {
  const cipher = new TunnelCipher(KEY);
  await cipher.seal(new Uint8Array(1)); // key imported: the hot path
  for (const fresh of [false, true]) {
    const c = fresh ? new TunnelCipher(KEY) : cipher; // fresh: the key import is still pending
    const buffer = new Uint8Array(64).fill(0xaa);
    const promise = c.seal(buffer);
    buffer.fill(0x55);
    const frame = await promise;
    assert.deepEqual(c.openSync(frame.nonce, frame.sealed), new Uint8Array(64).fill(0xaa), `fresh=${fresh}`);
  }
});

Deno.test("aead: a first counter and prefix can be set for test vectors", () => {
  const cipher = new TunnelCipher(KEY, { noncePrefix: Uint8Array.of(9, 9, 9, 9), firstCounter: 2 ** 40 + 5 });
  const frame = cipher.sealSync(new Uint8Array(1));
  assert.deepEqual(frame.nonce, Uint8Array.fromHex("090909090000010000000005"));
  assert.equal(nonceCounter(frame.nonce), 2n ** 40n + 5n);
});

Deno.test("aead: two ciphers pick different random prefixes", () => {
  assert.notDeepEqual(new TunnelCipher(KEY).noncePrefix, new TunnelCipher(KEY).noncePrefix);
});

Deno.test("aead: tampered ciphertext, tag or nonce fails authentication on both paths", async (t) => {
  const cipher = new TunnelCipher(KEY);
  const frame = cipher.sealSync(crypto.getRandomValues(new Uint8Array(100)));
  const cases: [string, Uint8Array, Uint8Array][] = [
    ["ciphertext", frame.nonce, flip(frame.sealed, 0)],
    ["tag", frame.nonce, flip(frame.sealed, frame.sealed.byteLength - 1)],
    ["nonce prefix", flip(frame.nonce, 0), frame.sealed],
    ["nonce counter", flip(frame.nonce, NONCE_SIZE - 1), frame.sealed],
    ["truncated", frame.nonce, frame.sealed.subarray(0, frame.sealed.byteLength - 1)],
    ["trailing junk", frame.nonce, new Uint8Array([...frame.sealed, 0])],
    ["shorter than a tag", frame.nonce, new Uint8Array(TAG_SIZE - 1)],
  ];
  for (const [name, nonce, sealed] of cases) {
    await t.step(name, async () => {
      assert.throws(() => cipher.openSync(nonce, sealed), isAuthFailure);
      await assert.rejects(cipher.open(nonce, sealed), isAuthFailure);
    });
  }
  await t.step("wrong key", async () => {
    const other = new TunnelCipher(crypto.getRandomValues(new Uint8Array(32)));
    assert.throws(() => other.openSync(frame.nonce, frame.sealed), isAuthFailure);
    await assert.rejects(other.open(frame.nonce, frame.sealed), isAuthFailure);
  });
});

Deno.test("aead: a nonce that is not 12 bytes is refused", async () => {
  const cipher = new TunnelCipher(KEY);
  const bad = (err: unknown) => isPilotError(err, "crypto_bad_nonce");
  for (const size of [0, 11, 13]) {
    assert.throws(() => cipher.openSync(new Uint8Array(size), new Uint8Array(32)), bad);
    await assert.rejects(cipher.open(new Uint8Array(size), new Uint8Array(32)), bad);
    assert.throws(() => nonceCounter(new Uint8Array(size)), bad);
  }
});

Deno.test("aead: a bad key, prefix or first counter is refused at construction", () => {
  const bad = (err: unknown) => isPilotError(err, "crypto_bad_key");
  assert.throws(() => new TunnelCipher(new Uint8Array(16)), bad);
  assert.throws(() => new TunnelCipher(KEY, { noncePrefix: new Uint8Array(3) }), bad);
  assert.throws(() => new TunnelCipher(KEY, { firstCounter: -1 }), bad);
  assert.throws(() => new TunnelCipher(KEY, { firstCounter: 1.5 }), bad);
});

Deno.test("aead: the counter refuses to pass 2^53 rather than repeat a nonce", () => {
  const cipher = new TunnelCipher(KEY, { firstCounter: Number.MAX_SAFE_INTEGER });
  assert.equal(cipher.sealSync(new Uint8Array(1)).counter, Number.MAX_SAFE_INTEGER);
  assert.throws(
    () => cipher.sealSync(new Uint8Array(1)),
    (err) => isPilotError(err, "crypto_counter_exhausted"),
  );
});

Deno.test("aead: the key is copied, so later changes to the caller's array do not matter", () => {
  const key = new Uint8Array(KEY);
  const cipher = new TunnelCipher(key);
  key.fill(0);
  const frame = cipher.sealSync(Uint8Array.of(1, 2, 3));
  assert.deepEqual(new TunnelCipher(KEY).openSync(frame.nonce, frame.sealed), Uint8Array.of(1, 2, 3));
});
