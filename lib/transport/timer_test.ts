import assert from "node:assert/strict";
import { DeadlineTimer } from "./timer.ts";

Deno.test("timer: an earlier deadline re-arms, a later one keeps the armed timer, none clears it", () => {
  const timer = new DeadlineTimer(() => {});
  timer.update(1000, 0);
  assert.equal(timer.armedAt, 1000);
  timer.update(5000, 0);
  assert.equal(timer.armedAt, 1000, "later deadline: the armed timer fires early and re-arms then");
  timer.update(10, 0);
  assert.equal(timer.armedAt, 10);
  timer.update(undefined, 0);
  assert.equal(timer.isArmed, false);
  assert.equal(timer.armedAt, undefined);
});

Deno.test("timer: fires at (not before) its deadline and is disarmed while its callback runs", async () => {
  let armedInside = true;
  let firedAt = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  const timer = new DeadlineTimer(() => {
    firedAt = performance.now();
    armedInside = timer.isArmed;
    resolve();
  });
  const now = performance.now();
  timer.update(now + 5, now);
  await promise;
  assert.ok(firedAt >= now + 4, `fired ${firedAt - now} ms after arming`);
  assert.equal(armedInside, false);
  assert.equal(timer.isArmed, false);
});
