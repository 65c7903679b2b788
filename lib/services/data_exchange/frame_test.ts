import assert from "node:assert/strict";
import {
  decodeDataFrame,
  decodeDataFramePrefix,
  encodeDataFrame,
  encodeDataFramePrefix,
  encodeFileFrame,
  encodeFileHeader,
  frameTypeName,
  parseFilePayload,
} from "./frame.ts";

const text = new TextEncoder();

Deno.test("frame: the TEXT example of services.md §13.1 encodes and decodes byte for byte", () => {
  const hex = "000000010000000568656c6c6f";
  assert.equal(encodeDataFrame({ type: 1, payload: text.encode("hello") }).toHex(), hex);
  const frame = decodeDataFrame(Uint8Array.fromHex(hex));
  assert.equal(frame.type, 1);
  assert.equal(new TextDecoder().decode(frame.payload), "hello");
  // The reply of §13.1 is a TEXT frame too.
  assert.equal(
    encodeDataFrame({ type: 1, payload: text.encode("ACK TEXT 5 bytes") }).toHex(),
    "000000010000001041434b20544558542035206279746573",
  );
});

Deno.test("frame: the JSON example of services.md §13.2 encodes byte for byte", () => {
  assert.equal(
    encodeDataFrame({ type: 3, payload: text.encode('{"result":42}') }).toHex(),
    "000000030000000d7b22726573756c74223a34327d",
  );
});

Deno.test("frame: the FILE example of services.md §13.3 encodes and splits byte for byte", () => {
  const hex = "00000004000000100009" + "7265706f72742e6d64" + "68656c6c6f";
  assert.equal(encodeFileFrame("report.md", text.encode("hello")).toHex(), hex);
  const frame = decodeDataFrame(Uint8Array.fromHex(hex));
  assert.equal(frame.type, 4);
  const file = parseFilePayload(frame.payload);
  assert.equal(file.name, "report.md");
  assert.equal(new TextDecoder().decode(file.data), "hello");
});

Deno.test("frame: type names follow the reference, unknown ids in decimal", () => {
  assert.deepEqual([1, 2, 3, 4, 0, 5, 4294967295].map(frameTypeName), [
    "TEXT",
    "BINARY",
    "JSON",
    "FILE",
    "UNKNOWN(0)",
    "UNKNOWN(5)",
    "UNKNOWN(4294967295)",
  ]);
});

Deno.test("frame: a prefix shorter than 8 bytes is refused with frame_truncated", () => {
  for (let n = 0; n < 8; n++) {
    assert.throws(() => decodeDataFramePrefix(new Uint8Array(n)), { code: "frame_truncated" });
  }
  assert.deepEqual(decodeDataFramePrefix(Uint8Array.fromHex("ffffffff01000000")), {
    type: 0xFFFFFFFF,
    length: 0x01000000,
  });
});

Deno.test("frame: a whole-frame decode refuses short and over-long input", () => {
  assert.throws(() => decodeDataFrame(Uint8Array.fromHex("0000000100000005686565")), {
    code: "frame_truncated",
  });
  assert.throws(() => decodeDataFrame(Uint8Array.fromHex("00000001000000016868")), {
    code: "frame_trailing_bytes",
  });
});

Deno.test("frame: values that do not fit 32 bits are refused on encode", () => {
  assert.throws(() => encodeDataFramePrefix({ type: -1, length: 0 }), { code: "frame_bad_value" });
  assert.throws(() => encodeDataFramePrefix({ type: 1, length: 2 ** 32 }), { code: "frame_bad_value" });
  assert.throws(() => encodeDataFramePrefix({ type: 1, length: 0 }, new Uint8Array(7)), RangeError);
});

Deno.test("frame: an unusable FILE header gives an empty name and the whole payload as data", () => {
  for (const hex of ["", "00", "0005616263", "ffff"]) {
    const payload = Uint8Array.fromHex(hex);
    const file = parseFilePayload(payload);
    assert.equal(file.name, "", hex);
    assert.deepEqual(file.data, payload, hex);
  }
  // name_len 0 is a usable header with an empty name: the data excludes the 2 bytes.
  assert.deepEqual(parseFilePayload(Uint8Array.fromHex("0000aa")), { name: "", data: Uint8Array.of(0xAA) });
  // The name may fill the payload exactly.
  assert.deepEqual(parseFilePayload(Uint8Array.fromHex("00026162")), { name: "ab", data: new Uint8Array(0) });
});

Deno.test("frame: a file name over 65,535 bytes is refused instead of wrapping its length", () => {
  assert.equal(encodeFileHeader("x".repeat(65_535)).byteLength, 65_537);
  assert.throws(() => encodeFileHeader("x".repeat(65_536)), { code: "invalid_argument" });
});
