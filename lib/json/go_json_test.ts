import assert from "node:assert/strict";
import { escapeGoJson, formatGoJsonString, formatSortedJson } from "./go_json.ts";
import { Prng } from "../protocol/_fuzz.ts";

const text = new TextEncoder();

Deno.test("go json: keys are sorted at every depth and undefined members are left out", () => {
  assert.equal(
    formatSortedJson({ z: [{ b: 2, a: 1 }], a: { d: undefined, c: "x" }, m: null }),
    '{"a":{"c":"x"},"m":null,"z":[{"a":1,"b":2}]}',
  );
});

Deno.test("go json: the HTML-sensitive characters and line separators are escaped", () => {
  assert.equal(
    formatSortedJson({ s: "a<b>&c\u2028\u2029" }),
    '{"s":"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"}',
  );
  assert.equal(escapeGoJson('{"k":"<"}'), '{"k":"\\u003c"}');
});

Deno.test("go json: a value nested past the depth bound is refused instead of recursing on", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 70; i++) deep = [deep];
  assert.throws(() => formatSortedJson(deep), /deeper than 64/);
});

Deno.test("go json: numbers JSON cannot carry are refused rather than written as null", () => {
  assert.throws(() => formatSortedJson({ n: Number.NaN }), /unsupported number/);
  assert.throws(() => formatSortedJson([Infinity]), /unsupported number/);
});

Deno.test("go json: integer-like keys sort as strings, as Go sorts map keys", () => {
  assert.equal(formatSortedJson({ "9": 1, "10": 2, a: 3 }), '{"10":2,"9":1,"a":3}');
});

Deno.test("go json: the inbox example of services.md §0.3 comes out exactly", () => {
  assert.deepEqual(formatGoJsonString(Uint8Array.fromHex("fffe6f6be280a8")), {
    json: '"\\ufffd\\ufffdok\\u2028"',
    isLossless: false,
  });
});

Deno.test("go json: HTML characters, controls and quotes are escaped as Go escapes them", () => {
  const out = formatGoJsonString(text.encode('<a href="x">&\\\b\f\n\r\t\u0001\u001f\u007f\u2029'));
  assert.equal(
    out.json,
    '"\\u003ca href=\\"x\\"\\u003e\\u0026\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u007f\\u2029"',
  );
  assert.ok(out.isLossless);
});

Deno.test("go json: each byte of a broken sequence becomes its own \\ufffd", () => {
  const cases: Array<[string, string]> = [
    ["e280", "\\ufffd\\ufffd"], // truncated 3-byte sequence: two bytes, two escapes
    ["c080", "\\ufffd\\ufffd"], // overlong
    ["eda080", "\\ufffd\\ufffd\\ufffd"], // a UTF-16 surrogate is not valid UTF-8
    ["f4908080", "\\ufffd\\ufffd\\ufffd\\ufffd"], // above U+10FFFF
    ["80", "\\ufffd"],
    ["efbfbd", "\ufffd"], // a real U+FFFD stays raw
    ["efbbbf41", "\ufeffA"], // a BOM is data, not dropped
    ["f09f9880", "\u{1F600}"],
  ];
  for (const [hex, inner] of cases) {
    assert.equal(formatGoJsonString(Uint8Array.fromHex(hex)).json, `"${inner}"`, hex);
  }
});

Deno.test("go json: valid UTF-8 round-trips through JSON.parse exactly", () => {
  const rng = new Prng(7);
  const alphabet = ["a", "<", '"', "\\", "\n", "\u0000", "é", "€", "\u2028", "\u{10348}", " "];
  for (let i = 0; i < 500; i++) {
    let value = "";
    for (let n = rng.below(40); n > 0; n--) value += rng.pick(alphabet);
    const out = formatGoJsonString(text.encode(value));
    assert.ok(out.isLossless);
    assert.equal(JSON.parse(out.json), value);
  }
});
