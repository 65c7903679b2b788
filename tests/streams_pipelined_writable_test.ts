/**
 * The pipelined writable behind IPC stream connections: later chunks are handed to the sender while
 * earlier sends are still in flight (so the IPC client can write them in one system call), within a
 * byte bound; close() waits for every send, a failed send fails the next write, and abort closes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { pipelinedWritable } from "../lib/streams/mod.ts";

/** A sender whose sends complete only when the test says. */
function heldSender() {
  const sent: number[] = [];
  const pending: PromiseWithResolvers<void>[] = [];
  let closes = 0;
  return {
    sent,
    pending,
    get closes() {
      return closes;
    },
    sender: {
      send(chunk: Uint8Array): Promise<void> {
        sent.push(chunk[0]);
        const done = Promise.withResolvers<void>();
        pending.push(done);
        return done.promise;
      },
      close: () => void closes++,
    },
  };
}

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("pipelined writable: chunks go to the sender before earlier sends finish, up to the byte bound", async () => {
  const held = heldSender();
  const writer = pipelinedWritable(held.sender, 3 * 1024).getWriter();
  const writes = [1, 2, 3, 4].map((i) => writer.write(new Uint8Array(1024).fill(i)));
  let resolved = 0;
  for (const write of writes) void write.then(() => resolved++);
  await turn();
  assert.deepEqual(held.sent, [1, 2, 3, 4], "all four were handed over while none had finished");
  assert.equal(resolved, 3, "within 3 KiB the writes resolve at once; the fourth waits for room");
  held.pending[0].resolve();
  await turn();
  assert.equal(resolved, 4);
  const closing = writer.close();
  let closed = false;
  void closing.then(() => closed = true);
  await turn();
  assert.equal(closed, false, "close() waits for the sends still in flight");
  for (const send of held.pending.slice(1)) send.resolve();
  await closing;
  assert.equal(held.closes, 0, "closing the writable is not a half-close: the connection stays");
});

Deno.test("pipelined writable: a failed send fails a later write and the stream; abort closes the connection", async () => {
  const held = heldSender();
  const writer = pipelinedWritable(held.sender, 1 << 20).getWriter();
  await writer.write(Uint8Array.of(1));
  const refused = new Error("connection closed");
  held.pending[0].reject(refused);
  await turn();
  await assert.rejects(writer.write(Uint8Array.of(2)), refused);
  assert.deepEqual(held.sent, [1], "nothing is sent after the failure");

  const other = heldSender();
  await pipelinedWritable(other.sender, 1024).abort(new Error("stop"));
  assert.equal(other.closes, 1);
});
