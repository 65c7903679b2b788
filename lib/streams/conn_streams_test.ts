import assert from "node:assert/strict";
import { readableFromChunks, writableFromWriter } from "./conn_streams.ts";

Deno.test("readableFromChunks: next is called only when a reader pulls, and null ends the stream", async () => {
  const batches: (Uint8Array[] | null)[] = [[Uint8Array.of(1), Uint8Array.of(2)], null];
  let calls = 0;
  const readable = readableFromChunks(() => {
    calls++;
    return Promise.resolve(batches.shift() ?? null);
  }, () => {});
  await Promise.resolve();
  assert.equal(calls, 0, "nothing is taken before a read");
  const reader = readable.getReader();
  assert.deepEqual((await reader.read()).value, Uint8Array.of(1));
  assert.deepEqual((await reader.read()).value, Uint8Array.of(2));
  assert.equal((await reader.read()).done, true);
  assert.equal(calls, 2);
});

Deno.test("readableFromChunks: cancelling the stream calls cancel", async () => {
  let cancelled = 0;
  const readable = readableFromChunks(() => Promise.resolve([Uint8Array.of(1)]), () => cancelled++);
  await readable.cancel();
  assert.equal(cancelled, 1);
});

Deno.test("writableFromWriter: a chunk is written whole over partial writes, and close or abort closes", async () => {
  const got: number[] = [];
  let closes = 0;
  const writer = {
    write: (bytes: Uint8Array) => {
      got.push(...bytes.subarray(0, 2));
      return Promise.resolve(Math.min(2, bytes.byteLength));
    },
    close: () => void closes++,
  };
  const w = writableFromWriter(writer).getWriter();
  await w.write(Uint8Array.of(1, 2, 3, 4, 5));
  await w.close();
  assert.deepEqual(got, [1, 2, 3, 4, 5]);
  assert.equal(closes, 1);
  await writableFromWriter(writer).abort(new Error("stop"));
  assert.equal(closes, 2);
});
