import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { fuzzDecoder } from "./_fuzz.ts";
import {
  ADDRESS_SIZE,
  decodeAddress,
  encodeAddress,
  formatAddress,
  formatSocketAddress,
  goQuote,
  isBroadcast,
  parseAddress,
  parseSocketAddress,
  sameAddress,
} from "./address.ts";

// network.md §11 TV-1.
const TV1: [string, string][] = [
  ["0:0000.0000.0000", "000000000000"],
  ["0:0000.0000.0001", "000000000001"],
  ["0:0000.0000.002A", "00000000002A"],
  ["1:0001.F291.0004", "0001F2910004"],
  ["23:0017.0000.0001", "001700000001"],
  ["0:0000.FFFF.FFFF", "0000FFFFFFFF"],
  ["65535:FFFF.FFFF.FFFF", "FFFFFFFFFFFF"],
];

function encoded(text: string): string {
  const out = new Uint8Array(ADDRESS_SIZE);
  encodeAddress(parseAddress(text), out);
  return out.toHex().toUpperCase();
}

Deno.test("address: every TV-1 text parses to its bytes, and the bytes format back to the text", () => {
  for (const [text, hex] of TV1) {
    assert.equal(encoded(text), hex, text);
    assert.equal(formatAddress(decodeAddress(Uint8Array.fromHex(hex))), text);
  }
});

Deno.test("address: lowercase input is accepted and printing is always uppercase", () => {
  assert.equal(encoded("1:0001.f291.0004"), "0001F2910004");
  assert.equal(formatAddress(parseAddress("1:0001.f291.0004")), "1:0001.F291.0004");
  assert.equal(formatAddress({ network: 0, node: 42 }), "0:0000.0000.002A");
});

Deno.test("address: leading zeros in the network ID are accepted", () => {
  assert.deepEqual(parseAddress("007:0007.0000.0001"), { network: 7, node: 1 });
});

// Each row: input, exact message (§1.3, with the Go number-parse causes).
const REJECTED: [string, string][] = [
  ["", 'invalid address: "" (expected N:XXXX.YYYY.YYYY)'],
  ["0", 'invalid address: "0" (expected N:XXXX.YYYY.YYYY)'],
  ["0:0000", 'invalid address: "0000" (expected 3 dot-separated hex groups)'],
  ["0:0000.0000", 'invalid address: "0000.0000" (expected 3 dot-separated hex groups)'],
  ["0:0000.0000.0000.0000", 'invalid address: "0000.0000.0000.0000" (expected 3 dot-separated hex groups)'],
  ["0:000.0000.0000", 'invalid hex group: "000" (expected 4 digits)'],
  ["0:0000.000.0000", 'invalid hex group: "000" (expected 4 digits)'],
  [
    "99999:0000.0000.0000",
    'invalid network ID: "99999": strconv.ParseUint: parsing "99999": value out of range',
  ],
  ["0:ZZZZ.0000.0000", 'invalid hex group: "ZZZZ": strconv.ParseUint: parsing "ZZZZ": invalid syntax'],
  ["1:0000.0000.0001", "network mismatch: decimal 1 != hex 0x0000"],
  // Beyond the reference's own list: sign, space, prefix, empty, and which cause wins.
  [":0000.0000.0000", 'invalid network ID: "": strconv.ParseUint: parsing "": invalid syntax'],
  ["-1:0000.0000.0000", 'invalid network ID: "-1": strconv.ParseUint: parsing "-1": invalid syntax'],
  ["+1:0001.0000.0000", 'invalid network ID: "+1": strconv.ParseUint: parsing "+1": invalid syntax'],
  [" 1:0001.0000.0000", 'invalid network ID: " 1": strconv.ParseUint: parsing " 1": invalid syntax'],
  ["0x1:0001.0000.0000", 'invalid network ID: "0x1": strconv.ParseUint: parsing "0x1": invalid syntax'],
  [
    "65536:0000.0000.0000",
    'invalid network ID: "65536": strconv.ParseUint: parsing "65536": value out of range',
  ],
  [
    "99999a:0000.0000.0000",
    'invalid network ID: "99999a": strconv.ParseUint: parsing "99999a": value out of range',
  ],
  [
    "a99999:0000.0000.0000",
    'invalid network ID: "a99999": strconv.ParseUint: parsing "a99999": invalid syntax',
  ],
  ["0:0000.0000.00000", 'invalid hex group: "00000" (expected 4 digits)'],
  ["0:0000.0000.", 'invalid hex group: "" (expected 4 digits)'],
  // Lengths are all checked before any parse: the bad third length wins over the bad first digit.
  ["0:ZZZZ.0000.000", 'invalid hex group: "000" (expected 4 digits)'],
  ["0:0x00.0000.0000", 'invalid hex group: "0x00": strconv.ParseUint: parsing "0x00": invalid syntax'],
  ["0:0000.+001.0000", 'invalid hex group: "+001": strconv.ParseUint: parsing "+001": invalid syntax'],
  ["0:0000.0000.00g0", 'invalid hex group: "00g0": strconv.ParseUint: parsing "00g0": invalid syntax'],
  // The mismatch is checked before groups 2 and 3 are parsed (§1.3 step 5 before step 6).
  ["1:0000.ZZZZ.0000", "network mismatch: decimal 1 != hex 0x0000"],
  ["10:00a0.0000.0000", "network mismatch: decimal 10 != hex 0x00A0"],
  // Group lengths count UTF-8 bytes, as the reference does: "éé" is 4 bytes.
  ["0:0000.éé.0000", 'invalid hex group: "éé": strconv.ParseUint: parsing "éé": invalid syntax'],
  ["0:0000.é.0000", 'invalid hex group: "é" (expected 4 digits)'],
  ["0:0000.00\n0.0000", 'invalid hex group: "00\\n0": strconv.ParseUint: parsing "00\\n0": invalid syntax'],
];

Deno.test("parseAddress: rejects every §1.3 input with the reference's exact message", () => {
  for (const [input, message] of REJECTED) {
    assert.throws(() => parseAddress(input), (err: unknown) => {
      assert.ok(isPilotError(err, "invalid_argument"), `${input}: ${err}`);
      assert.equal(err.message, message, JSON.stringify(input));
      return true;
    });
  }
});

Deno.test("parseSocketAddress: TV-1 socket addresses parse and format back", () => {
  assert.deepEqual(parseSocketAddress("0:0000.0000.0001:1000"), {
    address: { network: 0, node: 1 },
    port: 1000,
  });
  assert.deepEqual(parseSocketAddress("0:0000.0000.002A:65535"), {
    address: { network: 0, node: 42 },
    port: 65535,
  });
  assert.equal(formatSocketAddress(parseSocketAddress("1:0001.f291.0004:80")), "1:0001.F291.0004:80");
});

const REJECTED_SOCKET: [string, string][] = [
  ["abc", 'invalid socket address: "abc" (no port)'],
  ["", 'invalid socket address: "" (no port)'],
  ["1:0001.00A3.F291:", 'invalid port: "": strconv.ParseUint: parsing "": invalid syntax'],
  ["1:0001.00A3.F291:99999", 'invalid port: "99999": strconv.ParseUint: parsing "99999": value out of range'],
  ["1:0001.00A3.F291:-1", 'invalid port: "-1": strconv.ParseUint: parsing "-1": invalid syntax'],
  ["1:0001.00A3.F291:0x50", 'invalid port: "0x50": strconv.ParseUint: parsing "0x50": invalid syntax'],
  // The last colon is the network separator, so the address error for "0" comes out unchanged.
  ["0:0000.0000.0001", 'invalid address: "0" (expected N:XXXX.YYYY.YYYY)'],
  ["1:0000.0000.0001:80", "network mismatch: decimal 1 != hex 0x0000"],
];

Deno.test("parseSocketAddress: rejects bad ports and passes address errors through unchanged", () => {
  for (const [input, message] of REJECTED_SOCKET) {
    assert.throws(() => parseSocketAddress(input), (err: unknown) => {
      assert.ok(isPilotError(err, "invalid_argument"), `${input}: ${err}`);
      assert.equal(err.message, message, JSON.stringify(input));
      return true;
    });
  }
});

Deno.test("goQuote: escapes like Go's strconv.Quote", () => {
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote("\x00\x07\x1b\x7f\t"), '"\\x00\\a\\x1b\\x7f\\t"');
  assert.equal(goQuote("\u00a0é😀"), '"\\u00a0é😀"');
  assert.equal(goQuote("\u200b"), '"\\u200b"');
});

Deno.test("decodeAddress: reads at an offset and refuses fewer than 6 bytes", () => {
  const bytes = Uint8Array.fromHex("FF0001F2910004");
  assert.deepEqual(decodeAddress(bytes, 1), { network: 1, node: 0xF2910004 });
  for (
    const [input, offset] of [[new Uint8Array(0), 0], [new Uint8Array(5), 0], [bytes, 2], [
      bytes,
      -1,
    ]] as const
  ) {
    assert.throws(() => decodeAddress(input, offset), { code: "proto_truncated" });
  }
  assert.throws(() => decodeAddress(bytes, 0.5), { code: "proto_truncated" });
});

Deno.test("encodeAddress: refuses out-of-range parts and a short buffer instead of wrapping", () => {
  const out = new Uint8Array(6);
  assert.throws(() => encodeAddress({ network: 65536, node: 0 }, out), { code: "proto_invalid_field" });
  assert.throws(() => encodeAddress({ network: 0, node: -1 }, out), { code: "proto_invalid_field" });
  assert.throws(() => encodeAddress({ network: 0, node: 2 ** 32 }, out), { code: "proto_invalid_field" });
  assert.throws(() => encodeAddress({ network: 0, node: 1 }, out, 1), { code: "proto_truncated" });
  assert.deepEqual(out, new Uint8Array(6), "nothing written on failure");
});

Deno.test("isBroadcast and sameAddress: broadcast is node 0xFFFFFFFF in any network", () => {
  assert.ok(isBroadcast(parseAddress("0:0000.FFFF.FFFF")));
  assert.ok(isBroadcast(parseAddress("7:0007.FFFF.FFFF")));
  assert.ok(!isBroadcast(parseAddress("0:0000.FFFF.FFFE")));
  assert.ok(sameAddress(parseAddress("1:0001.f291.0004"), { network: 1, node: 0xF2910004 }));
  assert.ok(!sameAddress({ network: 1, node: 1 }, { network: 0, node: 1 }));
});

const utf8 = new TextEncoder();
const text = new TextDecoder(); // non-fatal: mutated bytes become U+FFFD, which the parser must also survive
const ADDRESS_SEEDS = [
  ...TV1.map(([t]) => t),
  "1:0001.f291.0004",
  "0:0000.0000.0001:1000",
  "0:0000.0000.002A:65535",
]
  .map((t) => utf8.encode(t));

Deno.test("parseAddress and parseSocketAddress: 100,000 mutated inputs each end in a value or invalid_argument", () => {
  for (
    const [name, parse] of [["parseAddress", parseAddress], [
      "parseSocketAddress",
      parseSocketAddress,
    ]] as const
  ) {
    const report = fuzzDecoder(name, (bytes) => parse(text.decode(bytes)), ADDRESS_SEEDS, {
      seed: 0xADD7,
      maxLength: 64,
      maxRandomLength: 32,
      onDecoded: (value, input) => {
        // Whatever parses must format to a string that parses to the same value.
        const again = "port" in value
          ? parseSocketAddress(formatSocketAddress(value))
          : parseAddress(formatAddress(value));
        assert.deepEqual(again, value, text.decode(input));
      },
    });
    assert.ok(report.accepted > 0 && report.rejected > 0, `${name}: ${JSON.stringify([...report.codes])}`);
    assert.deepEqual([...report.codes.keys()], ["invalid_argument"]);
  }
});

Deno.test("decodeAddress: 100,000 random and mutated inputs end in a value or proto_truncated", () => {
  const seeds = TV1.map(([, hex]) => Uint8Array.fromHex(hex));
  const report = fuzzDecoder("decodeAddress", (bytes) => decodeAddress(bytes), seeds, {
    seed: 6,
    maxRandomLength: 12,
    onDecoded: (value, input) => {
      const out = new Uint8Array(ADDRESS_SIZE);
      encodeAddress(value, out);
      assert.deepEqual(out, input.subarray(0, ADDRESS_SIZE));
    },
  });
  assert.ok(report.accepted > 0 && report.rejected > 0);
  assert.deepEqual([...report.codes.keys()], ["proto_truncated"]);
});
