import assert from "node:assert/strict";
import { concatBytes } from "./concat_bytes.ts";

Deno.test("concatBytes: parts come out in order, empty parts included", () => {
  assert.deepEqual(
    concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)]),
    Uint8Array.of(1, 2, 3),
  );
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});

Deno.test("concatBytes: the result is a copy, not a view of a part", () => {
  const part = Uint8Array.of(7, 8);
  const joined = concatBytes([part.subarray(1)]);
  part[1] = 0;
  assert.deepEqual(joined, Uint8Array.of(8));
});
