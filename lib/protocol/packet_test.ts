import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import { fuzzDecoder } from "./_fuzz.ts";
import { parseAddress } from "./address.ts";
import { packetChecksum } from "./checksum.ts";
import { FLAGS, PROTOCOLS } from "./constants.ts";
import { decodePacket, encodePacket, formatFlags, hasFlag, packetSize } from "./packet.ts";
import type { Packet } from "./packet.ts";
import { decodeSack } from "./sack.ts";

const hex = (bytes: Uint8Array) => bytes.toHex().toUpperCase();
const ascii = (text: string) => new TextEncoder().encode(text);

/** Decodes `wire`, checks the fields, and checks that encoding the result gives `wire` again. */
function roundTrip(wire: string, expected: Omit<Packet, "payload"> & { payload: string }): Packet {
  const bytes = Uint8Array.fromHex(wire);
  const packet = decodePacket(bytes);
  const { payload, ...fields } = packet;
  const { payload: expectedPayload, ...expectedFields } = expected;
  assert.deepEqual(fields, expectedFields);
  assert.equal(hex(payload), expectedPayload);
  assert.equal(hex(encodePacket(packet)), wire);
  return packet;
}

const A1 = parseAddress("0:0000.0000.0001");
const A2 = parseAddress("0:0000.0000.0002");
const A999 = parseAddress("0:0000.0000.0999");

const TV3 = "11010000000000000001000000000002C00003E800000000000000000200145ED874";
const TV4 = "12010005000000000001000000000002C00003E8000000010000000101F65EE872C868656C6C6F";

Deno.test("packet: TV-3 SYN decodes field by field and re-encodes byte for byte", () => {
  roundTrip(TV3, {
    version: 1,
    flags: FLAGS.SYN,
    protocol: PROTOCOLS.STREAM,
    src: A1,
    dst: A2,
    srcPort: 49152,
    dstPort: 1000,
    seq: 0,
    ack: 0,
    window: 512,
    payload: "",
  });
});

Deno.test("packet: TV-4 data packet carries its 5-byte payload", () => {
  const packet = roundTrip(TV4, {
    version: 1,
    flags: FLAGS.ACK,
    protocol: PROTOCOLS.STREAM,
    src: A1,
    dst: A2,
    srcPort: 49152,
    dstPort: 1000,
    seq: 1,
    ack: 1,
    window: 502,
    payload: hex(ascii("hello")),
  });
  assert.equal(packetSize(packet), 39);
});

Deno.test("packet: the TV-6 captures from the reference daemon round-trip", () => {
  const base = { version: 1, protocol: PROTOCOLS.STREAM, src: A1, dst: A999 };
  roundTrip("130100000000000000010000000009990007C350000000000000000102002B6B8867", {
    ...base,
    flags: FLAGS.SYN | FLAGS.ACK,
    srcPort: 7,
    dstPort: 50000,
    seq: 0,
    ack: 1,
    window: 512,
    payload: "",
  });
  roundTrip("120100050000000000010000000009990007C350000000010000000602003E44B51268656C6C6F", {
    ...base,
    flags: FLAGS.ACK,
    srcPort: 7,
    dstPort: 50000,
    seq: 1,
    ack: 6,
    window: 512,
    payload: hex(ascii("hello")),
  });
  roundTrip("18010000000000000001000000000999270FC35100000000000000000000B1B27851", {
    ...base,
    flags: FLAGS.RST,
    srcPort: 9999,
    dstPort: 50001,
    seq: 0,
    ack: 0,
    window: 0,
    payload: "",
  });
  roundTrip("12030008000000000001000000000999000000050000004D0000004E000023CC382470696E6764617461", {
    ...base,
    flags: FLAGS.ACK,
    protocol: PROTOCOLS.CONTROL,
    srcPort: 0,
    dstPort: 5,
    seq: 77,
    ack: 78,
    window: 0,
    payload: hex(ascii("pingdata")),
  });
  roundTrip("160100000000000000010000000009990007C350000000060000000700005B4DC3FB", {
    ...base,
    flags: FLAGS.FIN | FLAGS.ACK,
    srcPort: 7,
    dstPort: 50000,
    seq: 6,
    ack: 7,
    window: 0,
    payload: "",
  });
});

Deno.test("packet: TV-7 ACK carries a one-block SACK option as its payload", () => {
  const packet = roundTrip(
    "1201000D00000000000100000000099B03E9CB2000000001000000D102002F0468155341434B010000013500000199",
    {
      version: 1,
      flags: FLAGS.ACK,
      protocol: PROTOCOLS.STREAM,
      src: A1,
      dst: parseAddress("0:0000.0000.099B"),
      srcPort: 1001,
      dstPort: 52000,
      seq: 1,
      ack: 209,
      window: 512,
      payload: "5341434B010000013500000199",
    },
  );
  assert.deepEqual(decodeSack(packet.payload), [{ left: 309, right: 409 }]);
});

Deno.test("decodePacket: the payload is a view into the input, and trailing bytes are ignored", () => {
  const bytes = Uint8Array.fromHex(TV4 + "DEADBEEF");
  const packet = decodePacket(bytes);
  assert.equal(packet.payload.buffer, bytes.buffer);
  assert.equal(packet.payload.byteOffset, 34);
  assert.equal(hex(packet.payload), hex(ascii("hello")));
});

Deno.test("decodePacket: version nibbles 0 and 15 and unknown protocols are accepted (§2.6)", () => {
  const packet = decodePacket(Uint8Array.fromHex(TV3));
  for (const version of [0, 15]) {
    assert.equal(decodePacket(encodePacket({ ...packet, version })).version, version);
  }
  assert.equal(decodePacket(encodePacket({ ...packet, protocol: 0xEE })).protocol, 0xEE);
});

Deno.test("decodePacket: rejects hostile input in §2.6 order with the reference's texts", () => {
  const tv4 = Uint8Array.fromHex(TV4);
  const flipped = tv4.slice();
  flipped[38] ^= 0x01; // last payload byte
  const badCrc = tv4.slice();
  badCrc[33] ^= 0x80;
  const longDeclared = tv4.slice();
  longDeclared[2] = 0xFF; // declares 65285 bytes: truncation is reported before the checksum
  const rows: [string, Uint8Array, ErrorCode, string][] = [
    ["empty", new Uint8Array(0), "proto_too_short", "packet too short: 0 bytes (min 34)"],
    ["33 bytes", tv4.subarray(0, 33), "proto_too_short", "packet too short: 33 bytes (min 34)"],
    [
      "header only of a 5-byte packet",
      tv4.subarray(0, 34),
      "proto_truncated",
      "packet truncated: have 34 bytes, need 39",
    ],
    [
      "one payload byte short",
      tv4.subarray(0, 38),
      "proto_truncated",
      "packet truncated: have 38 bytes, need 39",
    ],
    [
      "oversized declared length",
      longDeclared,
      "proto_truncated",
      "packet truncated: have 39 bytes, need 65319",
    ],
    ["payload bit flip", flipped, "proto_checksum", "checksum mismatch"],
    ["stored checksum bit flip", badCrc, "proto_checksum", "checksum mismatch"],
    [
      "zeroed checksum",
      Uint8Array.fromHex(TV3.slice(0, 60) + "00000000"),
      "proto_checksum",
      "checksum mismatch",
    ],
  ];
  for (const [name, input, code, message] of rows) {
    assert.throws(() => decodePacket(input), (err: unknown) => {
      assert.ok(isPilotError(err, code), `${name}: ${err}`);
      assert.equal(err.message, message, name);
      return true;
    });
  }
});

Deno.test("decodePacket: every truncation and every single bit flip of TV-4 is rejected", () => {
  const tv4 = Uint8Array.fromHex(TV4);
  for (let n = 0; n < tv4.byteLength; n++) {
    assert.throws(() => decodePacket(tv4.subarray(0, n)), { name: "PilotError" });
  }
  for (let bit = 0; bit < tv4.byteLength * 8; bit++) {
    const copy = tv4.slice();
    copy[bit >> 3] ^= 1 << (bit & 7);
    // CRC-32 catches every single-bit error; a flip in the length field shows up as truncation instead.
    assert.throws(() => decodePacket(copy), { name: "PilotError" }, `bit ${bit}`);
  }
});

const TEMPLATE = decodePacket(Uint8Array.fromHex(TV3));

Deno.test("encodePacket: refuses a payload over 65535 bytes with the reference's text", () => {
  assert.throws(() => encodePacket({ ...TEMPLATE, payload: new Uint8Array(65536) }), {
    code: "proto_payload_too_large",
    message: "payload too large: 65536 bytes (max 65535)",
  });
  assert.equal(encodePacket({ ...TEMPLATE, payload: new Uint8Array(65535) }).byteLength, 65569);
});

Deno.test("encodePacket: refuses out-of-range fields instead of silently wrapping them", () => {
  const bad: Partial<Packet>[] = [
    { version: 16 },
    { flags: 0x10 },
    { protocol: 256 },
    { srcPort: 65536 },
    { dstPort: -1 },
    { seq: 2 ** 32 },
    { ack: 1.5 },
    { window: 70000 },
    { seq: Number.NaN },
    { src: { network: 0, node: 2 ** 32 } },
  ];
  for (const fields of bad) {
    assert.throws(
      () => encodePacket({ ...TEMPLATE, ...fields }),
      { code: "proto_invalid_field" },
      JSON.stringify(fields),
    );
  }
});

Deno.test("encodePacket: writes into a larger buffer and returns exactly the packet's bytes", () => {
  const out = new Uint8Array(100).fill(0xEE);
  const payload = ascii("hello");
  const wire = encodePacket({ ...TEMPLATE, flags: FLAGS.ACK, seq: 1, ack: 1, window: 502, payload }, out);
  assert.equal(wire.buffer, out.buffer);
  assert.equal(wire.byteLength, 39);
  assert.equal(hex(wire), TV4);
  assert.equal(out[39], 0xEE, "nothing written past the packet");
  assert.throws(() => encodePacket({ ...TEMPLATE, payload }, new Uint8Array(38)), {
    code: "proto_buffer_too_small",
  });
});

Deno.test("encodePacket: a payload already in place at out[34..] is checksummed without a copy", () => {
  const out = new Uint8Array(39);
  out.set(ascii("hello"), 34);
  const wire = encodePacket({
    ...TEMPLATE,
    flags: FLAGS.ACK,
    seq: 1,
    ack: 1,
    window: 502,
    payload: out.subarray(34),
  }, out);
  assert.equal(hex(wire), TV4);
});

Deno.test("formatFlags and hasFlag: name the bits in wire order", () => {
  assert.equal(formatFlags(FLAGS.SYN | FLAGS.ACK), "SYN|ACK");
  assert.equal(formatFlags(FLAGS.ACK | FLAGS.FIN), "ACK|FIN");
  assert.equal(formatFlags(FLAGS.RST), "RST");
  assert.equal(formatFlags(0), "none");
  assert.ok(hasFlag(0x3, FLAGS.SYN | FLAGS.ACK));
  assert.ok(!hasFlag(0x1, FLAGS.SYN | FLAGS.ACK));
});

Deno.test("decodePacket: 100,000 random and mutated packets end in a packet or a proto_ code", () => {
  const seeds = [
    TV3,
    TV4,
    "12030008000000000001000000000999000000050000004D0000004E000023CC382470696E6764617461",
    "1201000D00000000000100000000099B03E9CB2000000001000000D102002F0468155341434B010000013500000199",
  ].map((h) => Uint8Array.fromHex(h));
  const report = fuzzDecoder("decodePacket", decodePacket, seeds, {
    seed: 0x9AC,
    onDecoded: (packet, input) => {
      // A packet that decodes re-encodes to exactly the bytes it covered.
      assert.equal(hex(encodePacket(packet)), hex(input.subarray(0, packetSize(packet))));
    },
  });
  assert.ok(report.accepted > 100, `accepted ${report.accepted}`);
  assert.deepEqual([...report.codes.keys()].sort(), ["proto_checksum", "proto_too_short", "proto_truncated"]);
});

Deno.test("decodePacket: 100,000 mutated packets with a recomputed checksum decode and round-trip", () => {
  const seeds = [TV3, TV4].map((h) => Uint8Array.fromHex(h));
  // Fixing the CRC after mutating drives the accept path with arbitrary field values and lengths.
  const withFixedCrc = (bytes: Uint8Array): Packet => {
    if (bytes.byteLength >= 34 && bytes.byteLength >= 34 + ((bytes[2] << 8) | bytes[3])) {
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(30, packetChecksum(bytes));
    }
    return decodePacket(bytes);
  };
  const report = fuzzDecoder("decodePacket (fixed CRC)", withFixedCrc, seeds, {
    seed: 0xC5C,
    maxLength: 600,
    onDecoded: (packet, input) =>
      assert.equal(hex(encodePacket(packet)), hex(input.subarray(0, packetSize(packet)))),
  });
  assert.ok(report.accepted > 50_000, `accepted ${report.accepted}`);
  assert.ok(!report.codes.has("proto_checksum"));
});
