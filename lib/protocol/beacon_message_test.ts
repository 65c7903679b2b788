import assert from "node:assert/strict";
import { fuzzDecoder } from "./_fuzz.ts";
import {
  type BeaconMessage,
  decodeBeaconMessage,
  encodeBeaconMessage,
  formatEndpoint,
  formatIp,
  isBeaconDatagram,
  MAX_BEACON_DATAGRAM,
  MAX_SYNC_NODES,
  MAX_UDP_PAYLOAD_IPV4,
  parseEndpoint,
  parseIp,
} from "./beacon_message.ts";

const VECTORS = new URL("../../../shared/vectors/beacon.json", import.meta.url);

interface CapturedDatagram {
  hex: string;
  direction: string;
  note: string;
}

async function capturedDatagrams(): Promise<CapturedDatagram[]> {
  const data: unknown = JSON.parse(await Deno.readTextFile(VECTORS));
  const out: CapturedDatagram[] = [];
  if (typeof data !== "object" || data === null) throw new Error("beacon.json is not an object");
  for (const key of ["messages", "encrypted_run_messages"]) {
    const list: unknown = Reflect.get(data, key);
    if (!Array.isArray(list)) throw new Error(`beacon.json: ${key} is not an array`);
    for (const entry of list) {
      const hex: unknown = Reflect.get(entry, "hex");
      const direction: unknown = Reflect.get(entry, "direction");
      const note: unknown = Reflect.get(entry, "note");
      if (typeof hex !== "string" || typeof direction !== "string" || typeof note !== "string") {
        throw new Error(`beacon.json: bad entry in ${key}`);
      }
      out.push({ hex, direction, note });
    }
  }
  return out;
}

const TV12: [string, BeaconMessage][] = [
  ["0100000005", { type: "discover", nodeId: 5 }],
  ["030000000500000002", { type: "punch-request", requesterId: 5, targetId: 2 }],
  ["04047f0000014b01", { type: "punch-command", endpoint: { ip: Uint8Array.of(127, 0, 0, 1), port: 19201 } }],
  [
    "05000000010000000250494c5411010000000000000001000000000002c00003e800000000000000000200145ed874",
    {
      type: "relay",
      senderId: 1,
      destId: 2,
      frame: Uint8Array.fromHex(
        "50494c5411010000000000000001000000000002c00003e800000000000000000200145ed874",
      ),
    },
  ],
  [
    "060000000150494c5411010000000000000001000000000002c00003e800000000000000000200145ed874",
    {
      type: "relay-deliver",
      senderId: 1,
      frame: Uint8Array.fromHex(
        "50494c5411010000000000000001000000000002c00003e800000000000000000200145ed874",
      ),
    },
  ],
];

/** control.md §5.2, observed on loopback. */
const OBSERVED_5_2 = [
  "0100000064",
  "02047f000001c2c6",
  "0300000064000000c8",
  "04047f000001b218",
  "04047f000001c2c6",
  "0500000064000000c850494c5468656c6c6f",
  "060000006450494c5468656c6c6f",
];

Deno.test("beacon message: TV-12 vectors decode to their fields and re-encode byte for byte", () => {
  for (const [hex, expected] of TV12) {
    const decoded = decodeBeaconMessage(Uint8Array.fromHex(hex));
    assert.deepEqual(decoded, expected, hex);
    assert.equal(encodeBeaconMessage(decoded).toHex(), hex);
    assert.equal(encodeBeaconMessage(expected).toHex(), hex);
  }
});

Deno.test("beacon message: every captured datagram of both runs round-trips byte for byte", async () => {
  const datagrams = await capturedDatagrams();
  assert.equal(datagrams.length, 34);
  for (const { hex, note } of datagrams) {
    const msg = decodeBeaconMessage(Uint8Array.fromHex(hex));
    assert.equal(encodeBeaconMessage(msg).toHex(), hex, note);
    if (msg.type === "discover-reply" || msg.type === "punch-command") {
      // The capture's note spells the endpoint out; our text form must agree with it.
      assert.ok(note.includes(`ip=${formatIp(msg.endpoint.ip)} port=${msg.endpoint.port}`), note);
    }
  }
  for (const hex of OBSERVED_5_2) {
    assert.equal(encodeBeaconMessage(decodeBeaconMessage(Uint8Array.fromHex(hex))).toHex(), hex);
  }
});

Deno.test("beacon message: relay frames are views into the datagram, not copies", () => {
  const bytes = Uint8Array.fromHex("0500000064000000c850494c5468656c6c6f");
  const msg = decodeBeaconMessage(bytes);
  assert.equal(msg.type, "relay");
  if (msg.type !== "relay") return;
  assert.equal(msg.frame.buffer, bytes.buffer);
  assert.equal(msg.frame.byteOffset, 9);
  const deliver = decodeBeaconMessage(Uint8Array.fromHex("060000006450494c5468656c6c6f"));
  assert.equal(deliver.type === "relay-deliver" && new TextDecoder().decode(deliver.frame), "PILThello");
});

Deno.test("beacon message: IPv6 endpoints use ip_len 16 and brackets in text", () => {
  const endpoint = parseEndpoint("[2001:db8::1]:9001");
  assert.equal(endpoint.ip.byteLength, 16);
  const bytes = encodeBeaconMessage({ type: "discover-reply", endpoint });
  assert.equal(bytes.byteLength, 20);
  assert.equal(bytes.toHex(), "021020010db8000000000000000000000001" + "2329");
  const back = decodeBeaconMessage(bytes);
  assert.ok(back.type === "discover-reply");
  assert.equal(formatEndpoint(back.endpoint), "[2001:db8::1]:9001");
});

Deno.test("beacon message: sync carries a beacon id and a counted list of node ids", () => {
  const msg: BeaconMessage = { type: "sync", beaconId: 7, nodeIds: [1, 0xffffffff] };
  const bytes = encodeBeaconMessage(msg);
  assert.equal(bytes.toHex(), "07000000070002" + "00000001ffffffff");
  assert.deepEqual(decodeBeaconMessage(bytes), msg);
  assert.deepEqual(decodeBeaconMessage(Uint8Array.fromHex("07000000090000")), {
    type: "sync",
    beaconId: 9,
    nodeIds: [],
  });
  const full = encodeBeaconMessage({ type: "sync", beaconId: 1, nodeIds: new Array(MAX_SYNC_NODES).fill(3) });
  assert.ok(full.byteLength <= MAX_UDP_PAYLOAD_IPV4);
  assert.throws(
    () => encodeBeaconMessage({ type: "sync", beaconId: 1, nodeIds: new Array(16_383).fill(3) }),
    { code: "beacon_too_large" },
  );
});

Deno.test("beacon message: bytes after a fixed layout are ignored, as the reference does", () => {
  assert.deepEqual(decodeBeaconMessage(Uint8Array.fromHex("0100000005ffff")), {
    type: "discover",
    nodeId: 5,
  });
  const reply = decodeBeaconMessage(Uint8Array.fromHex("02047f0000014b01aa"));
  assert.ok(reply.type === "discover-reply" && reply.endpoint.port === 19201);
});

Deno.test("beacon message: encoding into a caller's buffer returns a subarray and refuses a short one", () => {
  const out = new Uint8Array(64);
  const bytes = encodeBeaconMessage({ type: "discover", nodeId: 1 }, out);
  assert.equal(bytes.buffer, out.buffer);
  assert.equal(bytes.byteLength, 5);
  assert.throws(
    () => encodeBeaconMessage({ type: "punch-request", requesterId: 1, targetId: 2 }, new Uint8Array(8)),
    {
      code: "beacon_buffer_short",
    },
  );
  assert.throws(() => encodeBeaconMessage({ type: "discover", nodeId: -1 }), { code: "beacon_bad_field" });
  assert.throws(() => encodeBeaconMessage({ type: "discover", nodeId: 2 ** 32 }), {
    code: "beacon_bad_field",
  });
  assert.throws(
    () => encodeBeaconMessage({ type: "punch-command", endpoint: { ip: new Uint8Array(5), port: 1 } }),
    { code: "beacon_bad_ip_len" },
  );
  assert.throws(
    () => encodeBeaconMessage({ type: "punch-command", endpoint: { ip: new Uint8Array(4), port: 65536 } }),
    { code: "beacon_bad_field" },
  );
  assert.throws(
    () =>
      encodeBeaconMessage({
        type: "relay",
        senderId: 1,
        destId: 2,
        frame: new Uint8Array(MAX_BEACON_DATAGRAM),
      }),
    { code: "beacon_too_large" },
  );
});

Deno.test("beacon message: each truncation of every valid message is refused with beacon_truncated", () => {
  const samples = [...TV12.map(([hex]) => hex), ...OBSERVED_5_2, "07000000070002" + "00000001ffffffff"];
  for (const hex of samples) {
    const bytes = Uint8Array.fromHex(hex);
    const type = bytes[0];
    // A relay's frame may be empty, so its minimum is the fixed part.
    const min = type === 5 ? 9 : type === 6 ? 5 : bytes.byteLength;
    for (let cut = 1; cut < min; cut++) {
      assert.throws(
        () => decodeBeaconMessage(bytes.subarray(0, cut)),
        { code: "beacon_truncated" },
        `${hex} @${cut}`,
      );
    }
  }
});

Deno.test("beacon message: hostile datagrams each end in their own error code", () => {
  const table: [string, string][] = [
    ["", "beacon_empty"],
    ["00", "beacon_unknown_type"],
    ["08", "beacon_unknown_type"],
    ["0f00000000", "beacon_unknown_type"],
    ["50494c50", "beacon_unknown_type"],
    ["020000000000", "beacon_bad_ip_len"],
    ["02057f00000100000000", "beacon_bad_ip_len"],
    ["04117f000001000000000000000000000000000000", "beacon_bad_ip_len"],
    ["04ff", "beacon_bad_ip_len"],
    ["0210" + "00".repeat(16) + "00", "beacon_truncated"],
    ["02", "beacon_truncated"],
    ["0700000001ffff", "beacon_truncated"],
    ["0700000001000200000001", "beacon_truncated"],
  ];
  for (const [hex, code] of table) {
    assert.throws(() => decodeBeaconMessage(Uint8Array.fromHex(hex)), { code }, hex);
  }
  const oversized = new Uint8Array(MAX_BEACON_DATAGRAM + 1);
  oversized[0] = 5;
  assert.throws(() => decodeBeaconMessage(oversized), { code: "beacon_too_large" });
});

Deno.test("beacon message: 120,000 random and mutated datagrams each decode or throw a PilotError", () => {
  const hexSeeds = [...TV12.map(([hex]) => hex), ...OBSERVED_5_2, "07000000070002" + "00000001ffffffff"];
  const seeds = hexSeeds.map((hex) => Uint8Array.fromHex(hex));
  const report = fuzzDecoder("decodeBeaconMessage", decodeBeaconMessage, seeds, {
    count: 120_000,
    seed: 0x5eedbeac,
    randomShare: 0.25,
    maxRandomLength: 40,
    onDecoded: (msg, input) => {
      // Whatever decodes re-encodes to a prefix of its input (trailing bytes are the only loss).
      const again = encodeBeaconMessage(msg);
      assert.deepEqual(again, input.subarray(0, again.byteLength));
    },
  });
  assert.ok(report.accepted > 10_000, `only ${report.accepted} inputs decoded: the mutator is not exploring`);
  assert.ok(report.rejected > 10_000, `only ${report.rejected} inputs were refused`);
  for (const code of ["beacon_truncated", "beacon_bad_ip_len", "beacon_unknown_type"]) {
    assert.ok((report.codes.get(code) ?? 0) > 0, `no input hit ${code}`);
  }
  assert.ok(report.elapsedMs < 5_000, `fuzz run took ${report.elapsedMs} ms (limit 5 s)`);
});

Deno.test("beacon message: tunnel frames and beacon datagrams are told apart by the first byte", () => {
  assert.equal(isBeaconDatagram(Uint8Array.fromHex("0100000005")), true);
  assert.equal(isBeaconDatagram(Uint8Array.fromHex("0f")), true);
  assert.equal(isBeaconDatagram(Uint8Array.fromHex("10")), false);
  assert.equal(isBeaconDatagram(Uint8Array.fromHex("50494c50")), false);
  assert.equal(isBeaconDatagram(new Uint8Array(0)), false);
});

Deno.test("beacon message: ip text helpers round-trip and refuse what is not an ip literal", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "7f000001"],
    ["::1", "00000000000000000000000000000001"],
    ["::", "00000000000000000000000000000000"],
    ["2001:db8:0:0:1:0:0:1", "20010db8000000000001000000000001"],
    ["fe80::1:2", "fe800000000000000000000000010002"],
    ["::ffff:10.0.0.1", "00000000000000000000ffff0a000001"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:0:3:4:5:6:7:8", "00010000000300040005000600070008"],
  ];
  for (const [text, hex] of cases) {
    assert.equal(parseIp(text).toHex(), hex, text);
  }
  assert.equal(formatIp(parseIp("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  assert.equal(formatIp(parseIp("1:0:3:4:5:6:7:8")), "1:0:3:4:5:6:7:8");
  assert.equal(formatIp(parseIp("::")), "::");
  assert.equal(formatIp(parseIp("fe80::1:2")), "fe80::1:2");
  assert.equal(formatEndpoint(parseEndpoint("[::ffff:10.0.0.1]:80")), "10.0.0.1:80");
  assert.equal(formatEndpoint(parseEndpoint("127.0.0.1:19201")), "127.0.0.1:19201");
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.256",
      "01.2.3.4",
      "1.2.3.4.5",
      "::1::",
      "1:2:3:4:5:6:7:8:9",
      "g::1",
      "1.2.3.4::",
      "localhost",
      "::1%lo",
    ]
  ) {
    assert.throws(() => parseIp(bad), { code: "invalid_argument" }, bad);
  }
  for (
    const bad of [
      "127.0.0.1",
      "127.0.0.1:",
      "127.0.0.1:65536",
      "::1:80",
      "[::1]:x",
      "host:80",
      "1.2.3.4:-1",
      ":80",
    ]
  ) {
    assert.throws(() => parseEndpoint(bad), { code: "invalid_argument" }, bad);
  }
  assert.throws(() => formatIp(new Uint8Array(5)), { code: "beacon_bad_ip_len" });
});
