import assert from "node:assert/strict";
import { readBool, readInteger, readString, readStringArray, readU16, readU32 } from "./fields.ts";
import { hostnameProblem, normaliseTags } from "./validate.ts";

Deno.test("registry fields: u32 ids truncate fractions and read anything out of range or mistyped as 0", () => {
  const cases: Array<[unknown, number]> = [
    [7, 7],
    [7.9, 7],
    [-1, 0],
    [-0.5, 0],
    [4294967295, 4294967295],
    [4294967296, 0],
    ["7", 0],
    [true, 0],
    [null, 0],
    [[7], 0],
    [{ a: 1 }, 0],
    [undefined, 0],
  ];
  for (const [value, want] of cases) {
    assert.equal(readU32({ node_id: value }, "node_id"), want, String(value));
  }
  assert.equal(readU16({ network_id: 65535 }, "network_id"), 65535);
  assert.equal(readU16({ network_id: 65536 }, "network_id"), 0);
  // Prototype members are not message members.
  assert.equal(readString({}, "constructor"), "");
  assert.equal(readU32({}, "valueOf"), 0);
});

Deno.test("registry fields: strings, bools, integers and string arrays read leniently", () => {
  assert.equal(readString({ h: 5 }, "h"), "");
  assert.equal(readString({ h: "x" }, "h"), "x");
  assert.equal(readBool({ p: "true" }, "p"), false);
  assert.equal(readBool({ p: 1 }, "p"), false);
  assert.equal(readBool({ p: true }, "p"), true);
  assert.equal(readInteger({ d: -3.7 }, "d"), -3);
  assert.equal(readInteger({ d: "3" }, "d"), undefined);
  assert.equal(readInteger({ d: 1e300 }, "d"), Number.MAX_SAFE_INTEGER);
  assert.equal(Object.is(readInteger({ d: -0.2 }, "d"), 0), true);
  assert.deepEqual(readStringArray({ t: ["a", 1, null, "b"] }, "t"), ["a", "b"]);
  assert.deepEqual(readStringArray({ t: "a" }, "t"), []);
});

Deno.test("registry validation: hostnames follow §3.8 with the reference's messages", () => {
  assert.equal(hostnameProblem(""), undefined);
  assert.equal(hostnameProblem("agent-a"), undefined);
  assert.equal(hostnameProblem("a".repeat(63)), undefined);
  assert.match(hostnameProblem("a".repeat(64)) ?? "", /too long/);
  for (const bad of ["Bad_Name", "-a", "a-", "a.b", "ÄB"]) {
    assert.equal(
      hostnameProblem(bad),
      "hostname must be lowercase alphanumeric with hyphens, start/end with alphanumeric",
    );
  }
  assert.equal(hostnameProblem("localhost"), 'hostname "localhost" is reserved');
});

Deno.test("registry validation: tags lose one leading # and obey the count, length and pattern rules", () => {
  assert.deepEqual(normaliseTags(["#gpu", "web-server"]), { tags: ["gpu", "web-server"] });
  assert.deepEqual(normaliseTags(Array(11).fill("a")), { problem: "too many tags (max 10)" });
  assert.deepEqual(normaliseTags(["#"]), { problem: "empty tag not allowed" });
  assert.deepEqual(normaliseTags(["##x"]), {
    problem: 'tag "#x" must be lowercase alphanumeric with hyphens',
  });
  assert.match(JSON.stringify(normaliseTags(["a".repeat(33)])), /too long/);
});
