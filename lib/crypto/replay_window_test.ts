import assert from "node:assert/strict";
import { REPLAY_WINDOW_SIZE, ReplayWindow } from "./replay_window.ts";

function windowAt(...counters: bigint[]): ReplayWindow {
  const window = new ReplayWindow();
  for (const c of counters) assert.equal(window.accept(c), "ok", `setup accepts ${c}`);
  return window;
}

Deno.test("replay window: the first counter is accepted whatever its value", () => {
  assert.equal(new ReplayWindow().check(1n), "ok");
  assert.equal(windowAt(1n).max, 1n);
  assert.equal(windowAt(1_000_000n).max, 1_000_000n);
  assert.equal(windowAt(2n ** 64n - 1n).max, 2n ** 64n - 1n);
});

Deno.test("replay window: a duplicate counter is a replay", () => {
  const window = windowAt(1n, 2n, 3n);
  assert.equal(window.check(2n), "replay");
  assert.equal(window.accept(3n), "replay");
  assert.equal(window.max, 3n);
});

Deno.test("replay window: out-of-order counters inside the window are accepted once", () => {
  const window = windowAt(10n, 5n, 8n);
  assert.equal(window.check(7n), "ok");
  assert.equal(window.accept(7n), "ok");
  assert.equal(window.check(7n), "replay");
  assert.equal(window.check(5n), "replay");
  assert.equal(window.max, 10n);
});

Deno.test("replay window: a counter 256 or more behind max is too old, 255 behind is not", () => {
  const window = windowAt(1000n);
  const size = BigInt(REPLAY_WINDOW_SIZE);
  assert.equal(window.check(1000n - size), "too_old");
  assert.equal(window.check(1n), "too_old");
  assert.equal(window.check(1000n - size + 1n), "ok");
});

Deno.test("replay window: advancing forgets the slots it passes", () => {
  const window = windowAt(1n, 2n);
  // 258 ≡ 2 (mod 256): its slot still holds counter 2's bit, which the advance must clear.
  assert.equal(window.accept(258n), "ok");
  assert.equal(window.check(2n), "too_old");
  assert.equal(window.check(257n), "ok"); // ≡ 1: bit cleared on the way
  assert.equal(window.check(258n), "replay");
});

Deno.test("replay window: a jump of 256 or more clears the whole bitmap", () => {
  const window = windowAt(1n, 2n, 3n);
  assert.equal(window.accept(3n + 256n), "ok");
  for (let c = 4n; c < 259n; c++) assert.equal(window.check(c), "ok", `counter ${c}`);
  assert.equal(window.check(259n), "replay");
  assert.equal(window.check(3n), "too_old");
});

Deno.test("replay window: check does not change state (Q8 fix)", () => {
  const window = windowAt(5n);
  assert.equal(window.check(2n ** 63n), "ok");
  assert.equal(window.check(2n ** 63n), "ok");
  assert.equal(window.max, 5n);
  assert.equal(window.check(6n), "ok");
});

Deno.test("replay window: a forged huge counter that never authenticates does not block genuine frames", () => {
  const window = windowAt(1n, 2n);
  const forged = 2n ** 64n - 1n;
  assert.equal(window.check(forged), "ok"); // passes the pre-check, then fails to decrypt: no accept
  for (let c = 3n; c < 600n; c++) assert.equal(window.accept(c), "ok", `genuine counter ${c}`);
  assert.equal(window.max, 599n);
});

Deno.test("replay window: two concurrent opens of one counter commit once", () => {
  const window = windowAt(1n);
  assert.equal(window.check(2n), "ok");
  assert.equal(window.check(2n), "ok");
  assert.equal(window.accept(2n), "ok");
  assert.equal(window.accept(2n), "replay");
});

Deno.test("replay window: counter 0 follows the reference rule while nothing is accepted", () => {
  // max = 0 means "nothing yet", so counter 0 (never sent: counters start at 1) is always let through.
  const window = new ReplayWindow();
  assert.equal(window.accept(0n), "ok");
  assert.equal(window.accept(0n), "ok");
  assert.equal(window.accept(1n), "ok");
  assert.equal(window.check(0n), "replay"); // now in the window with its bit set
  assert.equal(window.check(1n), "replay");
});
