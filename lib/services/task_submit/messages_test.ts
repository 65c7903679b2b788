import assert from "node:assert/strict";
import { encodeTaskFrame, TaskFrameReader } from "./frame.ts";
import {
  encodeResultMessage,
  encodeStatusUpdate,
  encodeSubmitRequest,
  encodeSubmitResponse,
  parseResultMessage,
  parseStatusUpdate,
  parseSubmitRequest,
  parseSubmitResponse,
} from "./messages.ts";

const ID = "9b6627bb-ddf9-1224-c2d7-a310548ca5bd";
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// services.md §13.6, captured from the reference.
const SUBMIT_FRAME_HEX =
  "000000010000009f7b227461736b5f6964223a2239623636323762622d646466392d313232342d633264372d" +
  "613331303534386361356264222c227461736b5f6465736372697074696f6e223a22416e616c797a65204149206672616d65776f726b" +
  "207472656e6473222c2266726f6d5f61646472223a22303a303030302e303030302e30303032222c22746f5f61646472223a22303a30" +
  "3030302e303030302e30303031227d";
const RESPONSE_FRAME_HEX =
  "00000001000000697b227461736b5f6964223a2239623636323762622d646466392d313232342d633264372d" +
  "613331303534386361356264222c22737461747573223a3230302c226d657373616765223a225461736b20726563656976656420776974" +
  "6820737461747573204e4557227d";

Deno.test("task messages: the submit request is the reference's 167-byte frame", () => {
  const payload = encodeSubmitRequest({
    taskId: ID,
    description: "Analyze AI framework trends",
    fromAddr: "0:0000.0000.0002",
    toAddr: "0:0000.0000.0001",
  });
  assert.equal(encodeTaskFrame(1, payload).toHex(), SUBMIT_FRAME_HEX);
  assert.deepEqual(parseSubmitRequest(payload), {
    taskId: ID,
    description: "Analyze AI framework trends",
    fromAddr: "0:0000.0000.0002",
    toAddr: "0:0000.0000.0001",
  });
});

Deno.test("task messages: the accepting response is type 1 again, 113 bytes", () => {
  const payload = encodeSubmitResponse({ taskId: ID, status: 200, message: "Task received with status NEW" });
  assert.equal(encodeTaskFrame(1, payload).toHex(), RESPONSE_FRAME_HEX);
  assert.deepEqual(parseSubmitResponse(payload), {
    taskId: ID,
    status: 200,
    message: "Task received with status NEW",
  });
  assert.equal(
    text(encodeSubmitResponse({ taskId: "", status: 200, message: "Task received with status NEW" })).length,
    0x45,
  );
});

Deno.test("task messages: status update and text and file results match §13.6", () => {
  const update = encodeStatusUpdate({ taskId: ID, status: "ACCEPTED", justification: "Task accepted" });
  assert.equal(encodeTaskFrame(3, update).subarray(0, 8).toHex(), "0000000300000066");
  assert.equal(update.byteLength, 102);
  assert.deepEqual(parseStatusUpdate(update), {
    taskId: ID,
    status: "ACCEPTED",
    justification: "Task accepted",
  });
  const textResult = encodeResultMessage({
    taskId: ID,
    resultType: "text",
    resultText: "Summary: all good",
    completedAt: "2026-11-24T18:35:20Z",
    timeIdleMs: 3399,
  });
  assert.equal(
    text(textResult),
    `{"task_id":"${ID}","result_type":"text","result_text":"Summary: all good","completed_at":"2026-11-24T18:35:20Z","time_idle_ms":3399}`,
  );
  assert.equal(textResult.byteLength, 0xa3);
  const fileResult = encodeResultMessage({
    taskId: ID,
    resultType: "file",
    filename: "report.md",
    fileData: new TextEncoder().encode("hello"),
    completedAt: "2026-11-24T18:37:12Z",
    timeIdleMs: 629,
  });
  assert.equal(
    text(fileResult),
    `{"task_id":"${ID}","result_type":"file","filename":"report.md","file_data":"aGVsbG8=","completed_at":"2026-11-24T18:37:12Z","time_idle_ms":629}`,
  );
  assert.equal(fileResult.byteLength, 174);
  const parsed = parseResultMessage(fileResult);
  assert.equal(text(parsed.fileData ?? new Uint8Array()), "hello");
  assert.equal(parsed.timeStagedMs, 0);
});

Deno.test("task messages: Go's escaping of <, >, & and U+2028", () => {
  const payload = encodeSubmitRequest({ taskId: ID, description: "a<b>&c\u2028", fromAddr: "", toAddr: "" });
  assert.match(text(payload), /"a\\u003cb\\u003e\\u0026c\\u2028"/);
  assert.equal(parseSubmitRequest(payload).description, "a<b>&c\u2028");
});

Deno.test("task messages: hostile payloads fail with service_bad_message naming the member", () => {
  const bad = (s: string) => new TextEncoder().encode(s);
  for (const input of ["", "{", "[]", "null", "42", '"x"']) {
    assert.throws(() => parseSubmitRequest(bad(input)), { code: "service_bad_message" }, input);
  }
  assert.throws(() => parseSubmitRequest(bad('{"task_id":5}')), /task_id is not a string/);
  assert.throws(() => parseSubmitResponse(bad('{"status":"200"}')), /status is not an integer/);
  assert.throws(() => parseResultMessage(bad('{"time_cpu_ms":1.5}')), /time_cpu_ms is not an integer/);
  assert.throws(() => parseResultMessage(bad('{"file_data":"@@@"}')), /file_data is not base64/);
  // Missing members read as empty, as Go's decoder leaves them.
  assert.deepEqual(parseSubmitRequest(bad("{}")), { taskId: "", description: "", fromAddr: "", toAddr: "" });
});

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

Deno.test("task frames: two frames split at every offset and fed a byte at a time read back whole", async () => {
  const a = encodeTaskFrame(4, new TextEncoder().encode('{"task_id":"x"}'));
  const b = encodeTaskFrame(3, new TextEncoder().encode("{}"));
  const all = new Uint8Array([...a, ...b]);
  for (let cut = 0; cut <= all.byteLength; cut++) {
    const reader = new TaskFrameReader(streamOf([all.subarray(0, cut), all.subarray(cut)]));
    assert.equal((await reader.next())?.type, 4);
    assert.equal((await reader.next())?.type, 3);
    assert.equal(await reader.next(), null);
  }
  const bytewise = new TaskFrameReader(streamOf([...all].map((x) => new Uint8Array([x]))));
  assert.equal(text((await bytewise.next())?.payload ?? new Uint8Array()), '{"task_id":"x"}');
});

Deno.test("task frames: oversized lengths are refused before allocation, truncation is an error", async () => {
  const huge = new Uint8Array([0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF]);
  await assert.rejects(new TaskFrameReader(streamOf([huge])).next(), { code: "frame_too_large" });
  const justOver = new Uint8Array([0, 0, 0, 1, 0x01, 0x00, 0x00, 0x01]);
  await assert.rejects(new TaskFrameReader(streamOf([justOver])).next(), { code: "frame_too_large" });
  await assert.rejects(new TaskFrameReader(streamOf([new Uint8Array([0, 0, 0])])).next(), {
    code: "frame_truncated",
  });
  const short = encodeTaskFrame(1, new Uint8Array(10)).subarray(0, 12);
  await assert.rejects(new TaskFrameReader(streamOf([short])).next(), { code: "frame_truncated" });
  assert.throws(() => encodeTaskFrame(1, new Uint8Array(16_777_217)), { code: "frame_too_large" });
});
