import assert from "node:assert/strict";
import { ReceiverQueue } from "./receiver_queue.ts";

Deno.test("receiver queue: a NEW task is cancelled only strictly after the accept timeout", () => {
  const q = new ReceiverQueue({ acceptTimeoutMs: 60_000, expiryMs: 3_600_000 });
  q.addNew("a", 1_000);
  assert.equal(q.nextDeadline(), 61_001);
  assert.deepEqual(q.due(61_000), []);
  assert.deepEqual(q.due(61_001), [{ kind: "cancel", taskId: "a" }]);
  q.removeNew("a");
  assert.equal(q.nextDeadline(), undefined);
});

Deno.test("receiver queue: FIFO head staging, one expiry at a time, next head staged at removal", () => {
  const q = new ReceiverQueue({ acceptTimeoutMs: 60_000, expiryMs: 1_000 });
  assert.deepEqual(q.enqueue("a", 10), { taskId: "a", stagedMs: 10 });
  assert.equal(q.enqueue("b", 20), undefined);
  assert.equal(q.enqueue("a", 30), undefined, "a queued task is not queued twice");
  assert.deepEqual(q.ids(), ["a", "b"]);
  assert.equal(q.nextDeadline(), 1_011);
  assert.deepEqual(q.due(5_000), [{ kind: "expire", taskId: "a", stagedMs: 10 }]);
  assert.deepEqual(q.remove("a", 5_000), { stagedMs: 10, next: { taskId: "b", stagedMs: 5_000 } });
  assert.deepEqual(q.due(5_500), [], "b was staged when it became head");
  assert.deepEqual(q.remove("zzz", 0), {});
  assert.deepEqual(q.remove("b", 6_000), { stagedMs: 5_000 });
  assert.equal(q.head(), undefined);
});

Deno.test("receiver queue: removing a task behind the head keeps the head's staged time", () => {
  const q = new ReceiverQueue({ acceptTimeoutMs: 1, expiryMs: 100 });
  q.enqueue("a", 0);
  q.enqueue("b", 1);
  q.enqueue("c", 2, 99);
  assert.deepEqual(q.remove("b", 50), {});
  assert.deepEqual(q.head(), { taskId: "a", stagedMs: 0 });
  assert.deepEqual(q.ids(), ["a", "c"]);
});
