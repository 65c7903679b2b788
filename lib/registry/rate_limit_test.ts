import assert from "node:assert/strict";
import { RateLimiter } from "./rate_limit.ts";

Deno.test("registry rate limit: 10 registrations pass, the 11th waits for a refill of one token per 6 s", () => {
  const limiter = new RateLimiter();
  for (let i = 0; i < 10; i++) assert.equal(limiter.tryTake("10.0.0.1", 1000), true, `request ${i}`);
  assert.equal(limiter.tryTake("10.0.0.1", 1000), false);
  assert.equal(limiter.tryTake("10.0.0.2", 1000), true, "another IP has its own bucket");
  assert.equal(limiter.tryTake("10.0.0.1", 1000 + 5999), false);
  assert.equal(limiter.tryTake("10.0.0.1", 1000 + 6000), true);
  assert.equal(limiter.tryTake("10.0.0.1", 1000 + 6000), false);
});

Deno.test("registry rate limit: buckets idle for two windows are pruned", () => {
  const limiter = new RateLimiter();
  limiter.tryTake("a", 0);
  limiter.tryTake("b", 100_000);
  assert.equal(limiter.prune(120_001), 1);
  assert.equal(limiter.size, 1);
});
