import assert from "node:assert/strict";
import { escapeGoJson, formatSortedJson } from "./go_json.ts";

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
