import assert from "node:assert/strict";
import { fuzzDecoder } from "./_fuzz.ts";
import { decodeSack, encodeSack } from "./sack.ts";

const ONE_BLOCK = "5341434B010000013500000199"; // TV-7 payload
const TWO_BLOCKS = "5341434B02" + "00000135" + "00000199" + "000001FD" + "0000022F"; // observed, §5.9

Deno.test("sack: the TV-7 payload and the observed two-block option decode and re-encode exactly", () => {
  assert.deepEqual(decodeSack(Uint8Array.fromHex(ONE_BLOCK)), [{ left: 309, right: 409 }]);
  const two = [{ left: 309, right: 409 }, { left: 509, right: 559 }];
  assert.deepEqual(decodeSack(Uint8Array.fromHex(TWO_BLOCKS)), two);
  assert.equal(encodeSack([{ left: 309, right: 409 }]).toHex().toUpperCase(), ONE_BLOCK);
  assert.equal(encodeSack(two).toHex().toUpperCase(), TWO_BLOCKS);
});

Deno.test("sack: four blocks with edges at the top of the range round-trip, trailing bytes ignored", () => {
  const blocks = [
    { left: 0, right: 1 },
    { left: 0xFFFFFFF0, right: 0xFFFFFFFF },
    { left: 5, right: 5 },
    { left: 9, right: 2 },
  ];
  const payload = encodeSack(blocks);
  assert.equal(payload.byteLength, 37);
  const padded = new Uint8Array(40);
  padded.set(payload);
  assert.deepEqual(decodeSack(padded), blocks);
});

Deno.test("decodeSack: payloads that are not a SACK option are user data (undefined)", () => {
  const rows: [string, string][] = [
    ["empty", ""],
    ["4 bytes", "5341434B"],
    ["wrong magic", "5341434C010000013500000199"],
    ["lowercase magic", "7361636B010000013500000199"],
    ["count 0", "5341434B00"],
    ["count 5", "5341434B05" + "00".repeat(40)],
    ["count 255", "5341434BFF" + "00".repeat(40)],
    ["one block short by one byte", "5341434B0100000135000001"],
    ["two blocks, one present", "5341434B020000013500000199"],
    ["text hello", "68656C6C6F"],
  ];
  for (const [name, hex] of rows) assert.equal(decodeSack(Uint8Array.fromHex(hex)), undefined, name);
});

Deno.test("encodeSack: refuses 0 or 5 blocks and edges outside 32 bits", () => {
  assert.throws(() => encodeSack([]), { code: "proto_invalid_field" });
  assert.throws(() => encodeSack(Array(5).fill({ left: 1, right: 2 })), { code: "proto_invalid_field" });
  assert.throws(() => encodeSack([{ left: -1, right: 2 }]), { code: "proto_invalid_field" });
  assert.throws(() => encodeSack([{ left: 1, right: 2 ** 32 }]), { code: "proto_invalid_field" });
});

Deno.test("decodeSack: 100,000 mutated payloads never throw, and what decodes re-encodes to its prefix", () => {
  const seeds = [ONE_BLOCK, TWO_BLOCKS, "5341434B04" + "00000001".repeat(8)].map((h) =>
    Uint8Array.fromHex(h)
  );
  let sacks = 0;
  const report = fuzzDecoder("decodeSack", decodeSack, seeds, {
    seed: 0x5AC,
    maxLength: 128,
    onDecoded: (blocks, input) => {
      if (blocks === undefined) return;
      sacks++;
      assert.deepEqual(encodeSack(blocks), input.subarray(0, 5 + 8 * blocks.length));
    },
  });
  assert.equal(report.rejected, 0, "decodeSack never throws");
  assert.ok(sacks > 1000 && sacks < report.accepted, `${sacks} of ${report.accepted} were SACK options`);
});
