import assert from "node:assert/strict";
import { FILE_PART_BYTES, MAX_FRAME_PAYLOAD } from "./constants.ts";
import { formatPartName, parsePartName, planFileParts } from "./file_parts.ts";

Deno.test("file parts: names round-trip and only the canonical form is a part", () => {
  const name = formatPartName({ name: "big.iso", index: 2, total: 5 });
  assert.equal(name, "big.iso.pilot-part-0002-of-0005");
  assert.deepEqual(parsePartName(name), { name: "big.iso", index: 2, total: 5 });
  assert.equal(formatPartName({ name: "x", index: 7, total: 12345 }), "x.pilot-part-00007-of-12345");
  for (
    const other of [
      "big.iso",
      "big.iso.pilot-part-2-of-5", // not padded
      "big.iso.pilot-part-0006-of-0005",
      "big.iso.pilot-part-0000-of-0005",
      "big.iso.pilot-part-0001-of-0001",
      ".pilot-part-0001-of-0002",
    ]
  ) assert.equal(parsePartName(other), undefined, other);
});

Deno.test("file parts: a file that fits one frame is one frame, a bigger one is parts that each fit", () => {
  assert.deepEqual(planFileParts("a.txt", 5), [{ name: "a.txt", offset: 0, size: 5 }]);
  const limit = MAX_FRAME_PAYLOAD - 2 - 5;
  assert.equal(planFileParts("a.txt", limit).length, 1);
  const parts = planFileParts("a.txt", limit + 1);
  assert.equal(parts.length, 2);
  assert.deepEqual(parts.map((part) => part.size), [FILE_PART_BYTES, limit + 1 - FILE_PART_BYTES]);
  assert.equal(parts[1]?.name, "a.txt.pilot-part-0002-of-0002");
  const huge = planFileParts("n".repeat(65_000), 100 * FILE_PART_BYTES + 1);
  assert.equal(huge.length, 101);
  for (const part of huge) {
    assert.ok(2 + new TextEncoder().encode(part.name).byteLength + part.size <= MAX_FRAME_PAYLOAD);
  }
  assert.throws(() => planFileParts("n".repeat(65_520), 20_000_000), { code: "invalid_argument" });
});
