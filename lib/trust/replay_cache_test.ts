import assert from "node:assert/strict";
import { ReplayCache, replayKey } from "./replay_cache.ts";

const NOW = 1_795_546_149_000;
const TS = NOW / 1000;

Deno.test("replay cache: a key is new once and a replay afterwards", () => {
  const cache = new ReplayCache();
  assert.equal(cache.add("a", TS, NOW), true);
  assert.equal(cache.has("a", NOW + 1), true);
  assert.equal(cache.add("a", TS, NOW + 60_000), false);
  assert.equal(cache.add("b", TS, NOW), true);
});

Deno.test("replay cache: an entry outlives the window its timestamp is accepted in", () => {
  const cache = new ReplayCache();
  // 30 s ahead stays acceptable for 5.5 min; the spec's 10-minute minimum covers that.
  cache.add("future", TS + 30, NOW);
  assert.equal(cache.has("future", NOW + 9 * 60_000), true);
  assert.equal(cache.has("future", NOW + 11 * 60_000), false);
  // A timestamp far ahead (accepted only with a skewed clock) is kept until it would go stale.
  cache.add("far", TS + 3600, NOW);
  assert.equal(cache.has("far", NOW + 3600_000 + 4 * 60_000), true);
});

Deno.test("replay cache: expired entries are swept and the size stays bounded", () => {
  const cache = new ReplayCache({ maxEntries: 100 });
  for (let i = 0; i < 1000; i++) cache.add(`k${i}`, TS, NOW);
  assert.equal(cache.size, 100);
  assert.equal(cache.has("k999", NOW), true, "the newest stay");
  assert.equal(cache.has("k0", NOW), false, "the oldest went");
  cache.add("late", TS + 3600, NOW + 3600_000);
  assert.equal(cache.size, 1, "the sweep dropped every expired entry");
});

Deno.test("replay cache: the key is the SHA-256 of the bytes", () => {
  assert.equal(
    replayKey(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
