import { deepEqual, equal, rejects } from "node:assert/strict";
import { SubscriberQueue } from "./subscriber_queue.ts";

// A sink that records writes and resolves `reached(n)` once n bytes have been written in total.
function collector() {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  const stream = new WritableStream<Uint8Array>({
    write: (chunk) => {
      chunks.push(chunk);
      total += chunk.byteLength;
      for (const waiter of waiters) if (total >= waiter.bytes) waiter.resolve();
    },
  });
  const reached = (bytes: number) => {
    const { promise, resolve } = Promise.withResolvers<void>();
    if (total >= bytes) resolve();
    else waiters.push({ bytes, resolve });
    return promise;
  };
  return { stream, chunks, reached };
}

Deno.test("SubscriberQueue: past maxEvents further offers are refused and counted as drops", () => {
  const queue = new SubscriberQueue({ maxEvents: 3, maxBytes: 1000 });
  const results = [1, 2, 3, 4, 5].map((n) => queue.offer(Uint8Array.of(n)));
  deepEqual(results, [true, true, true, false, false]);
  equal(queue.queuedEvents, 3);
  equal(queue.dropped, 2);
});

Deno.test("SubscriberQueue: past maxBytes further offers are refused, but an empty queue takes any frame", () => {
  const queue = new SubscriberQueue({ maxEvents: 100, maxBytes: 10 });
  equal(queue.offer(new Uint8Array(50)), true, "an idle subscriber still gets a big event");
  equal(queue.offer(new Uint8Array(1)), false);
  equal(queue.queuedBytes, 50);
  equal(queue.dropped, 1);
});

Deno.test("SubscriberQueue: run writes frames in order, joining small ones into one write", async () => {
  const queue = new SubscriberQueue();
  for (let n = 0; n < 10; n++) queue.offer(Uint8Array.of(n));
  const { stream, chunks, reached } = collector();
  const writer = stream.getWriter();
  const running = queue.run(writer);
  await reached(10);
  // Offered once the first batch is out: the loop must pick it up whether it is finishing or idle.
  queue.offer(Uint8Array.of(10));
  await reached(11);
  queue.close();
  await running;
  const all = chunks.flatMap((chunk) => [...chunk]);
  deepEqual(all, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  equal(chunks.length < 11, true, `${chunks.length} writes for 11 frames`);
  writer.releaseLock();
});

Deno.test("SubscriberQueue: a frame stays counted while its write is in progress", async () => {
  const queue = new SubscriberQueue({ maxEvents: 1 });
  const release = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  const writer = new WritableStream<Uint8Array>({
    write: () => {
      started.resolve();
      return release.promise;
    },
  }).getWriter();
  queue.offer(Uint8Array.of(1));
  const running = queue.run(writer);
  await started.promise;
  equal(queue.offer(Uint8Array.of(2)), false, "the blocked write still holds the only slot");
  release.resolve();
  queue.close();
  await running;
  writer.releaseLock();
});

Deno.test("SubscriberQueue: run rejects with the write's error, and close() on an idle queue ends it", async () => {
  const failing = new WritableStream<Uint8Array>({
    write: () => {
      throw new Error("reset by peer");
    },
  }).getWriter();
  const queue = new SubscriberQueue();
  queue.offer(Uint8Array.of(1));
  await rejects(queue.run(failing), /reset by peer/);
  failing.releaseLock();

  const idle = new SubscriberQueue();
  const { stream } = collector();
  const writer = stream.getWriter();
  const running = idle.run(writer);
  idle.close();
  await running;
  equal(idle.offer(Uint8Array.of(1)), false, "closed queues take nothing");
  equal(idle.dropped, 0, "refusals after close are not drops");
  writer.releaseLock();
});
