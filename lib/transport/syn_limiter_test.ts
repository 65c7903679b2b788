import { deepEqual, equal } from "node:assert/strict";
import { SynLimiter, TokenBucket } from "./syn_limiter.ts";

Deno.test("syn limiter: a bucket refills in whole tokens and keeps fractions by not moving its time stamp", () => {
  const bucket = new TokenBucket(10, 0);
  for (let i = 0; i < 10; i++) equal(bucket.take(0), true);
  equal(bucket.take(50), false, "0.5 token is not a token");
  equal(bucket.lastRefillMs, 0, "time stamp unmoved");
  equal(bucket.take(100), true, "100 ms since the last refill: one token");
  equal(bucket.lastRefillMs, 100);
  equal(bucket.take(10_000), true);
  equal(bucket.tokens, 9, "capped at capacity, then one taken");
});

Deno.test("syn limiter: a new source starts with 9 tokens left; the global token goes first", () => {
  const limiter = new SynLimiter(0, { globalPerSecond: 12 });
  const verdicts = Array.from({ length: 13 }, () => limiter.admit(7, 0));
  deepEqual(verdicts.slice(0, 10), Array(10).fill("admit"));
  deepEqual(
    verdicts.slice(10),
    ["source-limit", "source-limit", "global-limit"],
    "rejected SYNs still spent global tokens",
  );
  equal(limiter.admit(8, 1000), "admit");
});

Deno.test("syn limiter: a full source table drops new sources until stale entries can be reaped", () => {
  const limiter = new SynLimiter(0, { maxSources: 2, globalPerSecond: 1000 });
  equal(limiter.admit(1, 0), "admit");
  equal(limiter.admit(2, 0), "admit");
  equal(limiter.admit(3, 5000), "source-limit");
  equal(limiter.sourceCount, 2);
  equal(limiter.admit(3, 10_001), "admit", "entries idle for more than 10 s make room");
  equal(limiter.sourceCount, 1);
});
