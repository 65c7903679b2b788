import assert from "node:assert/strict";
import { DataFrameDecoderStream, DataFrameEncoderStream } from "./frame_stream.ts";
import type { OutgoingDataFrame } from "./frame_stream.ts";
import type { DataFrameEvent } from "./frame_parser.ts";

const text = new TextEncoder();

async function encodeAll(frames: OutgoingDataFrame[]): Promise<Uint8Array[]> {
  return await Array.fromAsync(ReadableStream.from(frames).pipeThrough(new DataFrameEncoderStream()));
}

Deno.test("frame streams: the encoder writes a message frame as one chunk (one write, no Nagle wait)", async () => {
  const chunks = await encodeAll([{ kind: "message", type: 1, payload: text.encode("hello") }]);
  assert.deepEqual(chunks.map((chunk) => chunk.toHex()), ["000000010000000568656c6c6f"]);
});

Deno.test("frame streams: a streamed FILE frame is the §13.3 bytes", async () => {
  const chunks = await encodeAll([
    { kind: "file-start", name: "report.md", size: 5 },
    { kind: "file-chunk", bytes: text.encode("hel") },
    { kind: "file-chunk", bytes: text.encode("lo") },
    { kind: "file-end" },
  ]);
  assert.equal(
    chunks.map((chunk) => chunk.toHex()).join(""),
    "000000040000001000097265706f72742e6d6468656c6c6f",
  );
});

Deno.test("frame streams: encoder output split into single bytes decodes to the same frames", async () => {
  const bytes = (await encodeAll([
    { kind: "message", type: 3, payload: text.encode('{"n":1}') },
    { kind: "file-start", name: "a.txt", size: 3 },
    { kind: "file-chunk", bytes: text.encode("abc") },
    { kind: "file-end" },
  ])).flatMap((chunk) => Array.from(chunk, (b) => Uint8Array.of(b)));
  const events: DataFrameEvent[] = await Array.fromAsync(
    ReadableStream.from(bytes).pipeThrough(new DataFrameDecoderStream()),
  );
  const summary = events.map((event) =>
    event.kind === "message"
      ? `message ${event.type} ${new TextDecoder().decode(event.payload)}`
      : event.kind === "file-start"
      ? `start ${event.name} ${event.size}`
      : event.kind === "file-chunk"
      ? `chunk ${event.bytes.toHex()}`
      : "end"
  );
  assert.deepEqual(summary, [
    'message 3 {"n":1}',
    "start a.txt 3",
    "chunk 61",
    "chunk 62",
    "chunk 63",
    "end",
  ]);
});

Deno.test("frame streams: the encoder refuses sizes that do not add up", async () => {
  const bad: OutgoingDataFrame[][] = [
    [{ kind: "file-start", name: "a", size: 2 }, { kind: "file-chunk", bytes: text.encode("abc") }],
    [{ kind: "file-start", name: "a", size: 2 }, { kind: "file-end" }],
    [{ kind: "file-chunk", bytes: text.encode("a") }],
    [{ kind: "file-end" }],
    [{ kind: "file-start", name: "a", size: 1 }, { kind: "message", type: 1, payload: new Uint8Array(0) }],
    [{ kind: "file-start", name: "a", size: 1 }],
  ];
  for (const frames of bad) await assert.rejects(encodeAll(frames), { code: "frame_bad_sequence" });
});

Deno.test("frame streams: the encoder refuses a payload a reference reader would refuse", async () => {
  await assert.rejects(encodeAll([{ kind: "file-start", name: "a", size: 16_777_216 }]), {
    code: "frame_too_large",
  });
  await assert.rejects(
    encodeAll([{ kind: "message", type: 2, payload: new Uint8Array(16_777_217) }]),
    { code: "frame_too_large" },
  );
});

Deno.test("frame streams: the decoder errors the pipe on an oversized frame and on a cut stream", async () => {
  const oversized = ReadableStream.from([Uint8Array.fromHex("0000000101000001")]);
  await assert.rejects(Array.fromAsync(oversized.pipeThrough(new DataFrameDecoderStream())), {
    code: "frame_too_large",
  });
  const cut = ReadableStream.from([Uint8Array.fromHex("000000010000000568")]);
  await assert.rejects(Array.fromAsync(cut.pipeThrough(new DataFrameDecoderStream())), {
    code: "frame_truncated",
  });
});

Deno.test("frame streams: frames decoded before a framing error are delivered before the error", async () => {
  const good = Uint8Array.fromHex("000000010000000568656c6c6f");
  const chunk = new Uint8Array([...good, ...good, ...Uint8Array.fromHex("0000000101000001")]);
  const reader = ReadableStream.from([chunk]).pipeThrough(new DataFrameDecoderStream()).getReader();
  assert.equal((await reader.read()).value?.kind, "message");
  assert.equal((await reader.read()).value?.kind, "message");
  await assert.rejects(reader.read(), { code: "frame_too_large" });
});

Deno.test("frame streams: cancelling the decoder's readable stops the pipe", async () => {
  let pulls = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(Uint8Array.fromHex("000000010000000568656c6c6f"));
    },
  });
  const reader = source.pipeThrough(new DataFrameDecoderStream()).getReader();
  assert.equal((await reader.read()).value?.kind, "message");
  await reader.cancel();
  assert.ok(pulls < 10, `source pulled ${pulls} times`);
});
