import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { MAX_IPC_BODY } from "./constants.ts";
import {
  encodeFrame,
  type IpcFrameDecoderOptions,
  IpcFrameDecoderStream,
  IpcFrameEncoderStream,
  type IpcFrameEvent,
} from "./frame_stream.ts";
import { decodeIpcMessage, type IpcMessage } from "./messages.ts";
import { concatBytes } from "../streams/mod.ts";

async function decodeChunks(
  chunks: readonly Uint8Array[],
  options?: IpcFrameDecoderOptions,
): Promise<IpcFrameEvent[]> {
  return await Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new IpcFrameDecoderStream(options)));
}

const BODIES = [
  Uint8Array.fromHex("0d"),
  Uint8Array.fromHex("0600000002" + "aa".repeat(300)),
  Uint8Array.fromHex("0bb8"),
];
const STREAM = concatBytes(BODIES.map(encodeFrame));
const bodiesOf = (events: IpcFrameEvent[]) =>
  events.map((e) => (e.type === "body" ? e.body.toHex() : `skip ${e.length}`));

Deno.test("ipc frames: the encoder prefixes the body with its big-endian length", () => {
  assert.equal(encodeFrame(Uint8Array.fromHex("116265")).toHex(), "00000003116265");
  assert.throws(() => encodeFrame(new Uint8Array(MAX_IPC_BODY + 1)), { code: "ipc_frame_too_large" });
  assert.equal(encodeFrame(new Uint8Array(MAX_IPC_BODY)).byteLength, MAX_IPC_BODY + 4);
});

Deno.test("ipc frames: a stream fed one byte at a time gives the same bodies", async () => {
  const chunks = Array.from(STREAM, (b) => Uint8Array.of(b));
  assert.deepEqual(bodiesOf(await decodeChunks(chunks)), BODIES.map((b) => b.toHex()));
});

Deno.test("ipc frames: a stream split at every offset gives the same bodies", async () => {
  const want = BODIES.map((b) => b.toHex());
  for (let at = 0; at <= STREAM.byteLength; at++) {
    const events = await decodeChunks([STREAM.slice(0, at), STREAM.slice(at)]);
    assert.deepEqual(bodiesOf(events), want, `split at ${at}`);
  }
});

Deno.test("ipc frames: zero-length bodies are ignored", async () => {
  const events = await decodeChunks([Uint8Array.fromHex("00000000000000010d0000000000000000")]);
  assert.deepEqual(bodiesOf(events), ["0d"]);
});

Deno.test("ipc frames: an oversized announced length errors the stream before any allocation", async () => {
  for (const length of [MAX_IPC_BODY + 1, 0xffff_ffff]) {
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setUint32(0, length);
    await assert.rejects(decodeChunks([prefix]), (err) => {
      assert.ok(isPilotError(err, "ipc_frame_too_large"), String(err));
      assert.equal(err.message, `frame too large: ${length} bytes (max ${MAX_IPC_BODY})`);
      return true;
    });
  }
  assert.deepEqual(bodiesOf(await decodeChunks([encodeFrame(new Uint8Array(MAX_IPC_BODY))])).length, 1);
});

Deno.test("ipc frames: in skip mode an oversized body is discarded and the next frame still decodes", async () => {
  const prefix = Uint8Array.fromHex("00000011"); // 17 > maxBody 16
  const stream = concatBytes([
    encodeFrame(Uint8Array.of(0x0d)),
    prefix,
    new Uint8Array(17).fill(0x06),
    encodeFrame(Uint8Array.of(0x17)),
  ]);
  const want = ["0d", "skip 17", "17"];
  assert.deepEqual(bodiesOf(await decodeChunks([stream], { maxBody: 16, onOversized: "skip" })), want);
  const bytewise = Array.from(stream, (b) => Uint8Array.of(b));
  assert.deepEqual(bodiesOf(await decodeChunks(bytewise, { maxBody: 16, onOversized: "skip" })), want);
});

Deno.test("ipc frames: a stream ending inside a frame errors with ipc_frame_truncated", async () => {
  for (const cut of [1, 3, 5, 7]) {
    await assert.rejects(
      decodeChunks([STREAM.slice(0, 5 + cut)]),
      { code: "ipc_frame_truncated" },
      `cut ${cut}`,
    );
  }
  await assert.rejects(decodeChunks([Uint8Array.fromHex("0000")]), { code: "ipc_frame_truncated" });
});

Deno.test("ipc frames: the message encoder stream writes one frame per message", async () => {
  const msgs: IpcMessage[] = [{ kind: "info" }, { kind: "close", connId: 7 }];
  const frames = await Array.fromAsync(ReadableStream.from(msgs).pipeThrough(new IpcFrameEncoderStream()));
  assert.deepEqual(frames.map((f) => f.toHex()), ["000000010d", "000000050800000007"]);
  const decoded = (await decodeChunks(frames)).map((e) => (e.type === "body" ? decodeIpcMessage(e.body) : e));
  assert.deepEqual(decoded, msgs);
});
