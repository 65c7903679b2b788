import assert from "node:assert/strict";
import { Prng } from "./_fuzz.ts";
import { crc32, packetChecksum } from "./checksum.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

// A bit-at-a-time CRC-32/ISO-HDLC straight from its definition (§2.4), to check both fast paths.
function referenceCrc(bytes: Uint8Array): number {
  let c = 0xFFFFFFFF;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xEDB88320 : c >>> 1;
  }
  return (c ^ 0xFFFFFFFF) >>> 0;
}

Deno.test("crc32: matches the TV-2 values", () => {
  assert.equal(crc32(ascii("123456789")), 0xCBF43926);
  assert.equal(crc32(ascii("hello")), 0x3610A686);
  assert.equal(crc32(new Uint8Array(0)), 0);
  const zeroed = Uint8Array.fromHex("11010000000000000001000000000002C00003E80000000000000000020000000000");
  assert.equal(crc32(zeroed), 0x145ED874);
});

Deno.test("crc32: the table and native paths agree with the definition at every length up to 300", () => {
  const rng = new Prng(32);
  const data = rng.bytes(300);
  for (let n = 0; n <= 300; n++) {
    assert.equal(crc32(data.subarray(0, n)), referenceCrc(data.subarray(0, n)), `n=${n}`);
  }
});

Deno.test("crc32: continuing from a previous value equals one pass over the whole input", () => {
  const data = new Prng(7).bytes(5000);
  for (const split of [0, 1, 30, 63, 64, 65, 4096, 5000]) {
    assert.equal(crc32(data.subarray(split), crc32(data.subarray(0, split))), crc32(data), `split=${split}`);
  }
});

Deno.test("packetChecksum: covers the header with bytes 30..33 as zero, then only the declared payload", () => {
  // TV-4: the stored CRC is ignored by the computation, and bytes after the payload are not covered.
  const tv4 = Uint8Array.fromHex(
    "12010005000000000001000000000002C00003E8000000010000000101F65EE872C868656C6C6F",
  );
  assert.equal(packetChecksum(tv4), 0x5EE872C8);
  const withTrailer = new Uint8Array(tv4.byteLength + 3);
  withTrailer.set(tv4);
  withTrailer.fill(0xAB, tv4.byteLength);
  assert.equal(packetChecksum(withTrailer), 0x5EE872C8);
  // Bytes 30..33 do not matter, the input is not modified.
  const copy = tv4.slice();
  copy.fill(0x77, 30, 34);
  assert.equal(packetChecksum(copy), 0x5EE872C8);
  assert.deepEqual(copy.subarray(30, 34), Uint8Array.of(0x77, 0x77, 0x77, 0x77));
});

Deno.test("packetChecksum: a long payload goes through the native path with the same result", () => {
  const packet = new Uint8Array(34 + 4096);
  packet[2] = 0x10; // length 4096
  packet.set(new Prng(9).bytes(4096), 34);
  const zeroed = packet.slice();
  assert.equal(packetChecksum(packet), referenceCrc(zeroed));
});

Deno.test("packetChecksum: refuses input shorter than the header or the declared payload", () => {
  assert.throws(() => packetChecksum(new Uint8Array(33)), { code: "proto_too_short" });
  const header = new Uint8Array(34);
  header[3] = 1;
  assert.throws(() => packetChecksum(header), { code: "proto_truncated" });
});
