import assert from "node:assert/strict";
import { PilotError } from "../../errors.ts";
import { fuzzDecoder } from "../../protocol/_fuzz.ts";
import { MAX_FRAME_PAYLOAD } from "./constants.ts";
import { encodeDataFrame, encodeFileFrame } from "./frame.ts";
import { DataFrameParser } from "./frame_parser.ts";
import type { DataFrameEvent } from "./frame_parser.ts";
import { concatBytes } from "../../streams/mod.ts";

const text = new TextEncoder();

// File chunks merged, so event lists compare whatever the input chunking was.
type Normal =
  | { kind: "message"; type: number; hex: string }
  | { kind: "file-start"; name: string; size: number; length: number }
  | { kind: "file-data"; hex: string }
  | { kind: "file-end" };

function normalize(events: DataFrameEvent[]): Normal[] {
  const out: Normal[] = [];
  for (const event of events) {
    const last = out.at(-1);
    if (event.kind === "file-chunk") {
      if (event.bytes.byteLength === 0) throw new Error("empty chunk emitted");
      if (last?.kind === "file-data") last.hex += event.bytes.toHex();
      else out.push({ kind: "file-data", hex: event.bytes.toHex() });
    } else if (event.kind === "message") {
      out.push({ kind: "message", type: event.type, hex: event.payload.toHex() });
    } else {
      out.push({ ...event });
    }
  }
  return out;
}

function parseChunks(chunks: Uint8Array[]): Normal[] {
  const parser = new DataFrameParser();
  const events: DataFrameEvent[] = [];
  for (const chunk of chunks) {
    // Copy each event's bytes now: views into a chunk are only valid while that chunk is.
    for (const event of parser.push(chunk)) {
      events.push(event.kind === "file-chunk" ? { kind: "file-chunk", bytes: event.bytes.slice() } : event);
    }
  }
  parser.finish();
  return normalize(events);
}

// Every kind of frame, the FILE edge cases of §4.1 rule 4 included.
const STREAM = concatBytes([
  encodeDataFrame({ type: 1, payload: text.encode("hello") }),
  encodeDataFrame({ type: 3, payload: text.encode('{"result":42}') }),
  encodeDataFrame({ type: 2, payload: new Uint8Array(0) }),
  encodeFileFrame("report.md", text.encode("hello")),
  encodeDataFrame({ type: 4, payload: Uint8Array.fromHex("00") }), // payload < 2
  encodeDataFrame({ type: 4, payload: Uint8Array.fromHex("0009616263") }), // name_len past the end
  encodeDataFrame({ type: 4, payload: Uint8Array.fromHex("0000abcd") }), // empty name
  encodeFileFrame("empty", new Uint8Array(0)),
  encodeDataFrame({ type: 99, payload: text.encode("?") }),
]);

const EXPECTED: Normal[] = [
  { kind: "message", type: 1, hex: "68656c6c6f" },
  { kind: "message", type: 3, hex: "7b22726573756c74223a34327d" },
  { kind: "message", type: 2, hex: "" },
  { kind: "file-start", name: "report.md", size: 5, length: 16 },
  { kind: "file-data", hex: "68656c6c6f" },
  { kind: "file-end" },
  { kind: "file-start", name: "", size: 1, length: 1 },
  { kind: "file-data", hex: "00" },
  { kind: "file-end" },
  { kind: "file-start", name: "", size: 5, length: 5 },
  { kind: "file-data", hex: "0009616263" },
  { kind: "file-end" },
  { kind: "file-start", name: "", size: 2, length: 4 },
  { kind: "file-data", hex: "abcd" },
  { kind: "file-end" },
  { kind: "file-start", name: "empty", size: 0, length: 7 },
  { kind: "file-end" },
  { kind: "message", type: 99, hex: "3f" },
];

Deno.test("frame parser: a stream of every frame kind decodes in one chunk", () => {
  assert.deepEqual(parseChunks([STREAM]), EXPECTED);
});

Deno.test("frame parser: a split at any offset gives the same events", () => {
  for (let at = 0; at <= STREAM.byteLength; at++) {
    assert.deepEqual(parseChunks([STREAM.subarray(0, at), STREAM.subarray(at)]), EXPECTED, `split at ${at}`);
  }
});

Deno.test("frame parser: fed one byte at a time it gives the same events", () => {
  const bytes = Array.from(STREAM, (b) => Uint8Array.of(b));
  assert.deepEqual(parseChunks(bytes), EXPECTED);
});

Deno.test("frame parser: exactly 16 MiB is allowed, one byte more is refused before allocating", () => {
  const allowed = new DataFrameParser();
  assert.deepEqual(allowed.push(Uint8Array.fromHex("0000000101000000")), []);
  assert.equal(allowed.isIdle, false);
  const refused = new DataFrameParser();
  assert.throws(() => refused.push(Uint8Array.fromHex("0000000101000001")), { code: "frame_too_large" });
  // A 4 GiB declaration costs nothing: it is refused from the 8 prefix bytes alone.
  const huge = new DataFrameParser();
  const before = Deno.memoryUsage().rss;
  assert.throws(() => huge.push(Uint8Array.fromHex("00000004ffffffff")), { code: "frame_too_large" });
  assert.ok(Deno.memoryUsage().rss - before < 64 * 1024 * 1024);
  assert.equal(MAX_FRAME_PAYLOAD, 2 ** 24);
});

Deno.test("frame parser: after an error every later call throws the same error", () => {
  const parser = new DataFrameParser();
  assert.throws(() => parser.push(Uint8Array.fromHex("00000001ffffffff")), { code: "frame_too_large" });
  assert.throws(() => parser.push(Uint8Array.fromHex("000000010000000568656c6c6f")), {
    code: "frame_too_large",
  });
  assert.throws(() => parser.finish(), { code: "frame_too_large" });
});

Deno.test("frame parser: input ending inside a header or payload is frame_truncated", () => {
  for (let at = 1; at < STREAM.byteLength; at++) {
    const parser = new DataFrameParser();
    parser.push(STREAM.subarray(0, at));
    if (parser.isIdle) continue; // a frame boundary: ending there is clean
    assert.throws(() => parser.finish(), { code: "frame_truncated" }, `cut at ${at}`);
  }
});

Deno.test("frame parser: a large file frame comes out as chunks no bigger than the input", () => {
  const data = new Uint8Array(1_000_000).map((_, i) => i & 0xFF);
  const frame = encodeFileFrame("big.bin", data);
  const parser = new DataFrameParser();
  let received = 0;
  for (let offset = 0; offset < frame.byteLength; offset += 4096) {
    for (const event of parser.push(frame.subarray(offset, offset + 4096))) {
      if (event.kind === "file-chunk") {
        assert.ok(event.bytes.byteLength <= 4096);
        received += event.bytes.byteLength;
      }
    }
  }
  parser.finish();
  assert.equal(received, data.byteLength);
});

Deno.test("frame parser: 20,000 seeded mutations end in events or a PilotError", () => {
  const seeds = [
    STREAM,
    encodeFileFrame("a/b/../c.txt", text.encode("x".repeat(300))),
    STREAM.subarray(0, 40),
  ];
  const decode = (bytes: Uint8Array) => {
    const parser = new DataFrameParser({ maxPayload: 1 << 16 });
    const events = parser.push(bytes);
    parser.finish();
    return events;
  };
  const report = fuzzDecoder("DataFrameParser", decode, seeds, {
    count: 20_000,
    seed: 1001,
    onDecoded: (events) => {
      // Accepted input must be consistent: every file-start is followed by its exact data and an end.
      let remaining: number | undefined;
      for (const event of events) {
        if (event.kind === "file-start") {
          assert.equal(remaining, undefined);
          remaining = event.size;
        } else if (event.kind === "file-chunk") {
          assert.ok(remaining !== undefined && event.bytes.byteLength <= remaining);
          remaining -= event.bytes.byteLength;
        } else if (event.kind === "file-end") {
          assert.equal(remaining, 0);
          remaining = undefined;
        } else assert.equal(remaining, undefined);
      }
      assert.equal(remaining, undefined);
    },
  });
  assert.ok(report.accepted > 100, `accepted ${report.accepted}`);
  assert.ok(report.rejected > 100, `rejected ${report.rejected}`);
  for (const code of report.codes.keys()) assert.match(code, /^frame_(truncated|too_large)$/);
  assert.ok(new PilotError("frame_truncated", "x") instanceof Error);
});

Deno.test("frame parser: frames before a bad prefix in the same chunk come out, the error follows", () => {
  const parser = new DataFrameParser();
  const chunk = concatBytes([
    encodeDataFrame({ type: 1, payload: text.encode("ok") }),
    Uint8Array.fromHex("0000000101000001"),
  ]);
  const events = parser.push(chunk);
  assert.deepEqual(normalize(events), [{ kind: "message", type: 1, hex: "6f6b" }]);
  assert.equal(parser.failure?.code, "frame_too_large");
  assert.throws(() => parser.finish(), { code: "frame_too_large" });
});
