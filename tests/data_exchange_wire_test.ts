/**
 * Data exchange on the wire: the services.md §13.1–13.3 examples against the real service on a TCP
 * port, and the captured port-1001 streams of shared/vectors/tunnel-plaintext.json: they decode and
 * re-encode byte for byte (chunked as the reference writes them), and replaying the captured client
 * bytes into our service gives back exactly the captured reply bytes.
 */

import assert from "node:assert/strict";
import { classifyDatagram, decodePacket, decodePilt, formatAddress } from "../lib/protocol/mod.ts";
import {
  DataFrameEncoderStream,
  DataFrameParser,
  encodeDataFrame,
  listInbox,
  listReceived,
} from "../lib/services/data_exchange/mod.ts";
import type { DataFrameEvent } from "../lib/services/data_exchange/mod.ts";
import { readExactly, startTestService } from "../lib/services/data_exchange/_testing.ts";
import { concatBytes } from "../lib/streams/mod.ts";

const AT = new Date(2026, 10, 24, 18, 33, 2, 877);

async function exchange(port: number, request: Uint8Array, replyBytes: number): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(request);
    const reader = conn.readable.getReader();
    try {
      return await readExactly(reader, replyBytes);
    } finally {
      reader.releaseLock();
    }
  } finally {
    conn.close();
  }
}

Deno.test("data exchange wire: §13.1 TEXT hello gets the 24-byte ACK and lands in the inbox", async () => {
  await using svc = await startTestService({ now: () => AT });
  const reply = await exchange(svc.addr.port, Uint8Array.fromHex("000000010000000568656c6c6f"), 24);
  assert.equal(reply.toHex(), "000000010000001041434b20544558542035206279746573");
  const inbox = await listInbox(svc.home);
  assert.deepEqual(inbox.messages.map((m) => [m.file, m.type, m.data, m.from, m.bytes]), [
    ["TEXT-20261124-183302.877.json", "TEXT", "hello", "0:0000.0000.0002", 5],
  ]);
});

Deno.test("data exchange wire: §13.2 JSON frame is acknowledged with its length", async () => {
  await using svc = await startTestService({ now: () => AT });
  const reply = await exchange(
    svc.addr.port,
    Uint8Array.fromHex("000000030000000d7b22726573756c74223a34327d"),
    25,
  );
  assert.equal(reply.subarray(0, 8).toHex(), "0000000100000011");
  assert.equal(new TextDecoder().decode(reply.subarray(8)), "ACK JSON 13 bytes");
  const inbox = await listInbox(svc.home);
  assert.equal(inbox.messages[0]?.data, '{"result":42}');
});

Deno.test("data exchange wire: §13.3 FILE report.md gets ACK FILE 5 bytes and is stored", async () => {
  await using svc = await startTestService({ now: () => AT });
  const frame = Uint8Array.fromHex("00000004000000100009" + "7265706f72742e6d64" + "68656c6c6f");
  const reply = await exchange(svc.addr.port, frame, 24);
  assert.equal(reply.toHex(), "000000010000001041434b2046494c452035206279746573");
  const received = await listReceived(svc.home);
  assert.deepEqual(received.files.map((f) => [f.name, f.bytes]), [["report-20261124-183302.877.md", 5]]);
  assert.equal(await Deno.readTextFile(received.files[0]?.path ?? ""), "hello");
});

interface Segment {
  seq: number;
  payload: Uint8Array;
}

/** Port-1001 stream payloads of one capture run, per direction of each connection, in seq order. */
function streamsOf(frames: unknown): Map<string, Segment[]> {
  const streams = new Map<string, Segment[]>();
  if (!Array.isArray(frames)) throw new Error("frames is not an array");
  for (const entry of frames) {
    const hex = typeof entry === "object" && entry !== null ? Reflect.get(entry, "hex") : undefined;
    if (typeof hex !== "string") continue;
    const datagram = Uint8Array.fromHex(hex);
    if (classifyDatagram(datagram) !== "PILT") continue;
    const packet = decodePacket(decodePilt(datagram));
    if ((packet.srcPort !== 1001 && packet.dstPort !== 1001) || packet.payload.byteLength === 0) continue;
    const key = `${formatAddress(packet.src)}:${packet.srcPort}->${
      formatAddress(packet.dst)
    }:${packet.dstPort}`;
    const segments = streams.get(key) ?? [];
    if (!segments.some((s) => s.seq === packet.seq)) {
      segments.push({ seq: packet.seq, payload: packet.payload.slice() });
    }
    streams.set(key, segments.sort((a, b) => a.seq - b.seq));
  }
  return streams;
}

async function capturedRuns(): Promise<Map<string, Segment[]>[]> {
  const vectors = JSON.parse(
    await Deno.readTextFile(new URL("../../shared/vectors/tunnel-plaintext.json", import.meta.url)),
  );
  return [streamsOf(vectors.frames), streamsOf(vectors.direct_handshake_run.frames)];
}

Deno.test("data exchange wire: captured frames decode and re-encode byte for byte, one chunk a frame", async () => {
  let frames = 0;
  for (const streams of await capturedRuns()) {
    assert.ok(streams.size >= 2);
    for (const [key, segments] of streams) {
      const bytes = concatBytes(segments.map((s) => s.payload));
      const parser = new DataFrameParser();
      const events: DataFrameEvent[] = parser.push(bytes);
      parser.finish();
      const messages = events.filter((e) => e.kind === "message");
      assert.equal(messages.length, events.length, `${key}: only whole text/JSON frames were captured`);
      assert.deepEqual(concatBytes(messages.map((m) => encodeDataFrame(m))), bytes, key);
      // The reference sends each frame as two segments (prefix, payload); our encoder writes the same
      // bytes as one chunk per frame, so Nagle does not hold the payload back for a delayed ACK.
      const chunks = await Array.fromAsync(
        ReadableStream.from(messages).pipeThrough(new DataFrameEncoderStream()),
      );
      assert.equal(chunks.length, messages.length, key);
      assert.deepEqual(concatBytes(chunks), bytes, key);
      frames += messages.length;
    }
  }
  assert.equal(frames, 6); // three messages and their three ACKs
});

Deno.test("data exchange wire: replaying captured client bytes gives the captured replies exactly", async () => {
  await using svc = await startTestService();
  let replayed = 0;
  for (const streams of await capturedRuns()) {
    for (const [key, segments] of streams) {
      if (!key.endsWith(":1001")) continue; // client → service direction
      const reverse = key.split("->").reverse().join("->");
      const expected = concatBytes((streams.get(reverse) ?? []).map((s) => s.payload));
      assert.ok(expected.byteLength > 0, `${key} has a captured reply`);
      const reply = await exchange(
        svc.addr.port,
        concatBytes(segments.map((s) => s.payload)),
        expected.byteLength,
      );
      assert.equal(reply.toHex(), expected.toHex(), key);
      replayed++;
    }
  }
  assert.equal(replayed, 3);
  const inbox = await listInbox(svc.home);
  assert.deepEqual(inbox.messages.map((m) => m.data).sort(), [
    "after direct handshake",
    "hello from A",
    '{"n":1}',
  ]);
});
