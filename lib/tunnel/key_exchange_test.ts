import assert from "node:assert/strict";
import { IdentityKeys, KeyExchangeBackoff } from "./key_exchange.ts";

Deno.test("KeyExchangeBackoff: two at once, then one per doubling interval, reset by an answer", () => {
  const backoff = new KeyExchangeBackoff();
  assert.deepEqual([backoff.take(0), backoff.take(0), backoff.take(10)], [true, true, false]);
  assert.equal(backoff.take(999), false, "1 s after the burst");
  assert.equal(backoff.take(1_000), true);
  assert.equal(backoff.take(2_999), false, "then 2 s");
  assert.equal(backoff.take(3_000), true);
  backoff.reset();
  assert.equal(backoff.take(3_001), true);
});

Deno.test("IdentityKeys: caches keys, re-asks on a failed check at most every 10 s (Q12), fails closed", async () => {
  let now = 0;
  let registry: Uint8Array | undefined = new Uint8Array(32).fill(1);
  let lookups = 0;
  let broken = false;
  const keys = new IdentityKeys({
    now: () => now,
    signal: new AbortController().signal,
    lookup: () => {
      lookups++;
      if (broken) throw new Error("registry down");
      return registry;
    },
  });
  assert.deepEqual(await keys.get(5), { state: "known", key: new Uint8Array(32).fill(1) });
  await keys.get(5);
  assert.equal(lookups, 1, "cached");
  registry = new Uint8Array(32).fill(2);
  assert.equal(await keys.refresh(5), undefined, "too soon to re-ask");
  now = 10_000;
  assert.deepEqual(await keys.refresh(5), new Uint8Array(32).fill(2), "rotated key picked up");
  assert.equal(lookups, 2);
  broken = true;
  assert.deepEqual(await keys.get(6), { state: "failed" });
  now = 30_000;
  assert.deepEqual(await keys.refresh(5), undefined, "a failed re-ask keeps the key");
  assert.deepEqual(await keys.get(5), { state: "known", key: new Uint8Array(32).fill(2) });
  broken = false;
  registry = undefined;
  assert.deepEqual(await keys.get(7), { state: "none" });
  const before = lookups;
  await keys.get(7);
  assert.equal(lookups, before, "a 'no key' answer is remembered for a while");
});
