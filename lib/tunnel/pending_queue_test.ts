import assert from "node:assert/strict";
import { PendingQueues } from "./pending_queue.ts";

Deno.test("PendingQueues: keeps the newest 64 per peer and at most 256 peers", () => {
  const queues = new PendingQueues();
  for (let i = 0; i < 70; i++) queues.push(1, Uint8Array.of(i));
  assert.equal(queues.size(1), 64);
  const taken = queues.take(1);
  assert.deepEqual([taken[0][0], taken[63][0]], [6, 69]);
  assert.equal(queues.size(1), 0);
  for (let node = 0; node < 256; node++) assert.equal(queues.push(node, Uint8Array.of(0)), "queued");
  assert.equal(queues.push(999, Uint8Array.of(0)), "refused_too_many_peers");
  assert.equal(queues.push(5, Uint8Array.of(1)), "queued", "a peer with a queue still queues");
});
