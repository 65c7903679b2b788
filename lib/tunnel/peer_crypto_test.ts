import assert from "node:assert/strict";
import { encodeNonce } from "../protocol/mod.ts";
import { ReceiveReplay } from "./peer_crypto.ts";

Deno.test("ReceiveReplay: a new sender prefix starts a fresh window and retires the old one (Q9)", () => {
  const replay = new ReceiveReplay();
  const old = (c: bigint) => encodeNonce(0x11111111, c);
  const fresh = (c: bigint) => encodeNonce(0x22222222, c);
  for (let c = 1n; c <= 500n; c++) assert.equal(replay.accept(old(c)), "ok");
  assert.equal(replay.check(old(500n)), "replay");
  // The peer re-keyed alone: counter back at 1 under a new prefix.
  assert.equal(replay.check(fresh(1n)), "ok");
  assert.equal(replay.accept(fresh(1n)), "ok");
  assert.equal(replay.accept(fresh(2n)), "ok");
  assert.equal(replay.check(fresh(1n)), "replay");
  assert.equal(replay.check(old(501n)), "retired", "frames of the abandoned context are refused");
  assert.equal(replay.accept(old(501n)), "retired");
});
