/**
 * The IPC socket helpers: frames queued while a write is in flight leave in one system call, in order
 * and byte for byte, each write resolving only once its own bytes are out; a failed write fails what
 * is queued; and the frame reader keeps bodies valid across reads and stops when told.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeFrame, IpcFrameDecoder } from "../lib/ipc/frame_stream.ts";
import { FrameWriter, readFrames } from "../lib/ipc/frame_socket.ts";
import { concatBytes } from "../lib/streams/mod.ts";

/** A socket whose writes complete only when the test says, recording each call. */
function heldSink() {
  const calls: Uint8Array[] = [];
  const pending: { resolve: (n: number) => void; reject: (err: unknown) => void; size: number }[] = [];
  return {
    calls,
    sink: {
      write(bytes: Uint8Array): Promise<number> {
        calls.push(bytes.slice());
        const { promise, resolve, reject } = Promise.withResolvers<number>();
        pending.push({ resolve, reject, size: bytes.byteLength });
        return promise;
      },
    },
    /** Completes the oldest write in full. */
    finishOne() {
      const next = pending.shift();
      if (next === undefined) throw new Error("no write in flight");
      next.resolve(next.size);
    },
    failOne(err: unknown) {
      pending.shift()?.reject(err);
    },
    get inFlight() {
      return pending.length;
    },
  };
}

const frame = (i: number) => encodeFrame(new Uint8Array(4096).fill(i));

Deno.test("ipc frame writer: frames queued during a write go out together in the next one, in order", async () => {
  const socket = heldSink();
  const writer = new FrameWriter(socket.sink);
  const settled: number[] = [];
  const writes = Array.from({ length: 64 }, (_, i) => writer.write([frame(i)]).then(() => settled.push(i)));
  await Promise.resolve();
  assert.equal(socket.calls.length, 1, "the first frame is written at once, alone");
  socket.finishOne();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(settled, [0], "a write resolves once its own bytes are out, not before");
  assert.equal(socket.calls.length, 2, "the 63 frames that piled up leave in one call");
  socket.finishOne();
  await Promise.all(writes);
  assert.deepEqual(settled, Array.from({ length: 64 }, (_, i) => i));
  const wire = concatBytes(socket.calls);
  assert.deepEqual(
    wire,
    concatBytes(Array.from({ length: 64 }, (_, i) => frame(i))),
    "the same bytes as 64 writes",
  );
});

Deno.test("ipc frame writer: a large chunk goes out as it is, and a short write is continued", async () => {
  const calls: number[] = [];
  const writer = new FrameWriter({
    write: (bytes) => {
      calls.push(bytes.byteLength);
      return Promise.resolve(Math.min(bytes.byteLength, 100_000)); // the socket takes 100 kB at a time
    },
  });
  const big = new Uint8Array(300_000);
  await writer.write([encodeFrame(Uint8Array.of(1)).subarray(0, 4), big]);
  assert.deepEqual(calls, [4, 300_000, 200_000, 100_000]);
});

Deno.test("ipc frame writer: a failed write fails what is queued and every later write", async () => {
  const socket = heldSink();
  const writer = new FrameWriter(socket.sink);
  const first = writer.write([frame(1)]);
  const queued = writer.write([frame(2)]);
  const broken = new Error("broken pipe");
  socket.failOne(broken);
  await assert.rejects(first, broken);
  await assert.rejects(queued, broken);
  await assert.rejects(writer.write([frame(3)]), broken);
  assert.equal(socket.inFlight, 0, "nothing more reached the socket");
  writer.fail(new Error("later reason"));
  await assert.rejects(writer.write([frame(4)]), broken, "the first reason stays");
});

Deno.test("ipc frame reader: bodies stay intact across reads, frames split anywhere, and the handler can stop", async () => {
  const frames = Array.from({ length: 40 }, (_, i) => encodeFrame(new Uint8Array(3000 + i).fill(i)));
  const stream = concatBytes(frames);
  let at = 0;
  const source = {
    read(buffer: Uint8Array): Promise<number | null> {
      if (at >= stream.byteLength) return Promise.resolve(null);
      const n = Math.min(buffer.byteLength, 7_777, stream.byteLength - at); // cuts frames mid-prefix and mid-body
      buffer.set(stream.subarray(at, at + n));
      at += n;
      return Promise.resolve(n);
    },
  };
  const bodies: Uint8Array[] = [];
  await readFrames(source, new IpcFrameDecoder(), (event) => {
    if (event.type === "body") bodies.push(event.body); // kept without a copy, as the IPC client does
    return true;
  });
  assert.equal(bodies.length, 40);
  bodies.forEach((body, i) => assert.deepEqual(body, new Uint8Array(3000 + i).fill(i), `body ${i}`));
  at = 0;
  let seen = 0;
  await readFrames(source, new IpcFrameDecoder(), () => Promise.resolve(++seen < 3));
  assert.equal(seen, 3, "false from the handler stops the loop");
});

Deno.test("ipc frame reader: a stream cut inside a frame fails after the frames before it", async () => {
  const stream = concatBytes([
    encodeFrame(Uint8Array.of(1)),
    encodeFrame(Uint8Array.of(2, 3)).subarray(0, 5),
  ]);
  let sent = false;
  const source = {
    read(buffer: Uint8Array): Promise<number | null> {
      if (sent) return Promise.resolve(null);
      sent = true;
      buffer.set(stream);
      return Promise.resolve(stream.byteLength);
    },
  };
  const bodies: number[][] = [];
  await assert.rejects(
    readFrames(source, new IpcFrameDecoder(), (event) => {
      if (event.type === "body") bodies.push([...event.body]);
      return true;
    }),
    (err) => err instanceof Error && "code" in err && err.code === "ipc_frame_truncated",
  );
  assert.deepEqual(bodies, [[1]]);
});
