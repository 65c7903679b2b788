/**
 * Files beyond one frame: a 50 MB file streams through sendFile as parts and lands as one file whose
 * SHA-256 matches, without the process growing by the file's size; the part protocol's failure cases
 * (out of order, cut after a part, a source of the wrong size) store nothing.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  DataFrameParser,
  encodeFileFrame,
  formatPartName,
  listReceived,
  sendFile,
  sendMessage,
} from "../lib/services/data_exchange/mod.ts";
import { listNames, startTestService } from "../lib/services/data_exchange/_testing.ts";

const AT = new Date(2026, 10, 24, 18, 33, 13, 64);
const text = new TextEncoder();

/** `size` random bytes in 64 KiB chunks, hashed as they are produced. */
function randomSource(size: number, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
  let left = size;
  return new ReadableStream({
    pull(controller) {
      if (left === 0) return controller.close();
      const chunk = crypto.getRandomValues(new Uint8Array(Math.min(65_536, left)));
      hash.update(chunk);
      left -= chunk.byteLength;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  using file = await Deno.open(path);
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}

Deno.test("data exchange large file: 50 MB streams through as parts and lands as one exact file", async () => {
  await using svc = await startTestService({ now: () => AT });
  const size = 50_000_000;
  const sent = createHash("sha256");
  const conn = await svc.connect();
  let progress = 0;
  const rssBefore = Deno.memoryUsage().rss;
  try {
    const result = await sendFile(conn, {
      name: "big.bin",
      size,
      source: randomSource(size, sent),
      onProgress: (bytes) => progress = bytes,
    });
    assert.equal(result.parts, 4);
    assert.deepEqual(result.acks, [
      "ACK FILE 16000000 bytes",
      "ACK FILE 16000000 bytes",
      "ACK FILE 16000000 bytes",
      "ACK FILE 2000000 bytes",
    ]);
    assert.equal(result.ack, "ACK FILE 2000000 bytes");
  } finally {
    conn.close();
  }
  const growth = Deno.memoryUsage().rss - rssBefore;
  assert.equal(progress, size);
  // Loose: client and server share this process; buffering the file would add at least 50 MB.
  assert.ok(growth < 40_000_000, `rss grew by ${growth} bytes`);
  await svc.server.drained();
  assert.deepEqual(await listNames(`${svc.home}/received`), ["big-20261124-183313.064.bin"]);
  const stored = (await listReceived(svc.home)).files[0];
  assert.equal(stored?.bytes, size);
  assert.equal(await hashFile(stored?.path ?? ""), sent.digest("hex"));
});

/** Writes `frames`, then reads `count` reply frames (under a deadline) and joins their text. */
async function rawExchange(conn: Deno.Conn, frames: Uint8Array[], count: number): Promise<string> {
  for (const frame of frames) await conn.write(frame);
  const reader = conn.readable.getReader();
  const parser = new DataFrameParser();
  const texts: string[] = [];
  const timer = setTimeout(() => void reader.cancel(new Error(`no ${count} replies within 10 s`)), 10_000);
  try {
    while (texts.length < count) {
      const next = await reader.read();
      if (next.done) throw new Error(`connection ended after ${texts.length} of ${count} replies`);
      for (const event of parser.push(next.value)) {
        if (event.kind === "message") texts.push(new TextDecoder().decode(event.payload));
      }
    }
    return texts.join(" | ");
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

const part = (index: number, total: number, data: string) =>
  encodeFileFrame(formatPartName({ name: "doc.txt", index, total }), text.encode(data));

Deno.test("data exchange large file: parts in order are joined under the plain name", async () => {
  await using svc = await startTestService({ now: () => AT });
  const conn = await svc.connect();
  try {
    const replies = await rawExchange(conn, [part(1, 2, "hello "), part(2, 2, "world")], 2);
    assert.equal(replies, "ACK FILE 6 bytes | ACK FILE 5 bytes");
  } finally {
    conn.close();
  }
  assert.deepEqual(await listNames(`${svc.home}/received`), ["doc-20261124-183313.064.txt"]);
  assert.equal(await Deno.readTextFile(`${svc.home}/received/doc-20261124-183313.064.txt`), "hello world");
});

Deno.test("data exchange large file: a part out of order is refused and nothing is stored", async () => {
  await using svc = await startTestService({ now: () => AT });
  const conn = await svc.connect();
  try {
    const expected = 'ERR FILE save failed: part 2 of 2 of "doc.txt" does not follow the parts before it';
    const reply = await rawExchange(conn, [part(2, 2, "world")], 1);
    assert.equal(reply, expected);
    // Part 1 then part 1 again: the second restarts the file, so 1, 1, 2 still gives one file.
    const replies = await rawExchange(conn, [part(1, 2, "a"), part(1, 2, "b"), part(2, 2, "c")], 3);
    assert.equal(replies, "ACK FILE 1 bytes | ACK FILE 1 bytes | ACK FILE 1 bytes");
  } finally {
    conn.close();
  }
  await svc.server.drained();
  const names = await listNames(`${svc.home}/received`);
  assert.deepEqual(names, ["doc-20261124-183313.064.txt"]);
  assert.equal(await Deno.readTextFile(`${svc.home}/received/${names[0]}`), "bc");
});

Deno.test("data exchange large file: a connection lost between parts leaves nothing behind", async () => {
  await using svc = await startTestService({ now: () => AT });
  const conn = await svc.connect();
  assert.equal(await rawExchange(conn, [part(1, 3, "first")], 1), "ACK FILE 5 bytes");
  conn.close();
  await svc.server.drained();
  assert.deepEqual(await listNames(`${svc.home}/received`), []);
});

Deno.test("data exchange large file: a source shorter or longer than its size stores nothing", async () => {
  await using svc = await startTestService({ now: () => AT });
  for (const actual of ["short", "much too long"]) {
    const conn = await svc.connect();
    try {
      await assert.rejects(
        sendFile(conn, { name: "x.txt", size: 8, source: ReadableStream.from([text.encode(actual)]) }),
        { code: "service_source_size" },
      );
    } finally {
      conn.close(); // the frame was left incomplete; the receiver drops it with the connection
    }
  }
  const conn = await svc.connect();
  try {
    assert.equal((await sendMessage(conn, { type: "text", data: "alive" })).ack, "ACK TEXT 5 bytes");
  } finally {
    conn.close();
  }
  await svc.server.drained();
  assert.deepEqual(await listNames(`${svc.home}/received`), []);
});
