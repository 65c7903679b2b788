import { deepEqual, equal } from "node:assert/strict";
import { Reassembly } from "./reassembly.ts";
import { ReceiveQueue } from "./receive_queue.ts";

function collect(): { sink: (b: Uint8Array) => boolean; got: number[] } {
  const got: number[] = [];
  return { got, sink: (b) => (got.push(b.byteLength), true) };
}

Deno.test("reassembly: out-of-order segments are stored, merged into SACK blocks and delivered in order", () => {
  const r = new Reassembly(209, { maxAheadBytes: 1 << 21 });
  const { sink, got } = collect();
  equal(r.receive(309, new Uint8Array(100), sink), "stored");
  equal(r.receive(509, new Uint8Array(50), sink), "stored");
  equal(r.receive(409, new Uint8Array(50), sink), "stored");
  deepEqual(r.sackBlocks(), [{ left: 309, right: 459 }, { left: 509, right: 559 }]);
  equal(r.receive(309, new Uint8Array(100), sink), "discarded", "same offset twice");
  equal(r.receive(209, new Uint8Array(100), sink), "delivered");
  deepEqual(got, [100, 100, 50]);
  equal(r.expected, 459);
  equal(
    r.receive(209, new Uint8Array(300), sink),
    "duplicate",
    "before expected, even if it extends past it",
  );
  deepEqual(r.sackBlocks(), [{ left: 509, right: 559 }]);
});

Deno.test("reassembly: at most 128 segments are kept, only the first 4 blocks are reported", () => {
  const r = new Reassembly(1, { maxAheadBytes: 1 << 21 });
  const { sink } = collect();
  for (let i = 0; i < 128; i++) equal(r.receive(1 + 20 * (i + 1), new Uint8Array(10), sink), "stored");
  equal(r.receive(100_000, new Uint8Array(10), sink), "discarded");
  equal(r.sackBlocks().length, 4);
  equal(r.sackBlocks()[0].left, 21);
  equal(
    new Reassembly(1, { maxAheadBytes: 100 }).receive(101, new Uint8Array(1), sink),
    "discarded",
    "past the window",
  );
});

Deno.test("reassembly: an in-order segment the queue cannot take is refused and later drained from the buffer", () => {
  const queue = new ReceiveQueue(1);
  const sink = (b: Uint8Array) => queue.push(b);
  const r = new Reassembly(1, { maxAheadBytes: 1 << 21 });
  equal(r.receive(1, new Uint8Array(10), sink), "delivered");
  equal(queue.advertisedWindow, 1, "full queue still advertises 1 (Q2)");
  equal(r.receive(11, new Uint8Array(10), sink), "refused");
  equal(r.receive(21, new Uint8Array(10), sink), "stored");
  equal(r.expected, 11);
  queue.take();
  equal(queue.consume(5), 0, "half a segment frees nothing");
  equal(queue.consume(5), 1);
  r.drain(sink);
  equal(r.expected, 11, "21 is not next in order");
});
