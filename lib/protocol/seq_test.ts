import assert from "node:assert/strict";
import { seqAdd, seqAfter, seqAfterOrEqual, seqBefore, seqDiff } from "./seq.ts";

Deno.test("seqAdd: wraps modulo 2^32 in both directions", () => {
  assert.equal(seqAdd(0xFFFFFFFF, 1), 0);
  assert.equal(seqAdd(0xFFFFFF00, 0x200), 0x100);
  assert.equal(seqAdd(0, -1), 0xFFFFFFFF);
  assert.equal(seqAdd(1, 4096), 4097);
});

Deno.test("seqDiff: is the signed 32-bit difference", () => {
  assert.equal(seqDiff(5, 3), 2);
  assert.equal(seqDiff(3, 5), -2);
  assert.equal(seqDiff(0, 0xFFFFFFFF), 1);
  assert.equal(seqDiff(0xFFFFFFFF, 0), -1);
  assert.equal(seqDiff(0x80000000, 0), -0x80000000);
});

Deno.test("seqAfter: uses serial arithmetic across the wrap", () => {
  assert.ok(seqAfter(1, 0));
  assert.ok(!seqAfter(0, 0));
  assert.ok(seqAfter(0, 0xFFFFFFFF), "0 follows 2^32-1");
  assert.ok(!seqAfter(0xFFFFFFFF, 0));
  assert.ok(seqAfter(0x7FFFFFFF, 0), "half the space ahead is still after");
  assert.ok(!seqAfter(0x80000000, 0), "exactly half the space reads as before");
  assert.ok(seqAfterOrEqual(7, 7));
  assert.ok(seqAfterOrEqual(0, 0xFFFFFFF0));
  assert.ok(!seqAfterOrEqual(0xFFFFFFF0, 0));
  assert.ok(seqBefore(0xFFFFFFF0, 0));
  assert.ok(!seqBefore(3, 3));
});
