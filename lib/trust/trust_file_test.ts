import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { decodeTrustFile, encodeTrustFile, formatRfc3339, parseRfc3339 } from "./trust_file.ts";
import type { TrustSnapshot } from "./trust_file.ts";

const UTC = { utcOffsetMinutes: () => 0 };
const at = (iso: string) => Date.parse(iso) / 1000;

// control.md §7.7, observed layout.
const SPEC_EXAMPLE = `{
  "trusted": [
    {
      "node_id": 2,
      "public_key": "hJm1OF4ccJ0oiXTe5PncKtzq/+sd2hoaZfnpwhG0y7U=",
      "approved_at": "2026-11-24T18:32:27Z",
      "mutual": true
    }
  ],
  "pending": [
    {
      "node_id": 5,
      "public_key": "rAJphNR5m0slpArX81j5ApCiXD+PjfBjykcuxw9tbtc=",
      "justification": "hi d",
      "received_at": "2026-11-24T18:37:36Z"
    }
  ]
}`;

const SPEC_SNAPSHOT: TrustSnapshot = {
  trusted: [{
    nodeId: 2,
    publicKey: "hJm1OF4ccJ0oiXTe5PncKtzq/+sd2hoaZfnpwhG0y7U=",
    approvedAt: at("2026-11-24T18:32:27Z"),
    mutual: true,
    network: 0,
  }],
  pending: [{
    nodeId: 5,
    publicKey: "rAJphNR5m0slpArX81j5ApCiXD+PjfBjykcuxw9tbtc=",
    justification: "hi d",
    receivedAt: at("2026-11-24T18:37:36Z"),
  }],
};

Deno.test("trust file: the observed file of control.md §7.7 is written byte for byte", () => {
  assert.equal(encodeTrustFile(SPEC_SNAPSHOT, UTC), SPEC_EXAMPLE);
  assert.deepEqual(decodeTrustFile(SPEC_EXAMPLE), SPEC_SNAPSHOT);
});

Deno.test("trust file: no trusted peers is null, no pending requests leaves the member out", () => {
  assert.equal(encodeTrustFile({ trusted: [], pending: [] }, UTC), '{\n  "trusted": null\n}');
  assert.deepEqual(decodeTrustFile('{\n  "trusted": null\n}'), { trusted: [], pending: [] });
  assert.deepEqual(decodeTrustFile("{}"), { trusted: [], pending: [] });
});

Deno.test("trust file: optional members follow the reference's omit rules", () => {
  const text = encodeTrustFile({
    trusted: [{ nodeId: 9, publicKey: "", approvedAt: 0, mutual: false, network: 7 }],
    pending: [{ nodeId: 3, publicKey: "", justification: "", receivedAt: 60 }],
  }, UTC);
  assert.equal(
    text,
    `{
  "trusted": [
    {
      "node_id": 9,
      "public_key": "",
      "approved_at": "1970-01-01T00:00:00Z",
      "mutual": false,
      "network": 7
    }
  ],
  "pending": [
    {
      "node_id": 3,
      "received_at": "1970-01-01T00:01:00Z"
    }
  ]
}`,
  );
  assert.deepEqual(decodeTrustFile(text).pending, [{
    nodeId: 3,
    publicKey: "",
    justification: "",
    receivedAt: 60,
  }]);
});

Deno.test("trust file: entries are sorted by node id and text is escaped like the reference", () => {
  const text = encodeTrustFile({
    trusted: [],
    pending: [
      { nodeId: 8, publicKey: "", justification: "<b>&</b>", receivedAt: 0 },
      { nodeId: 4, publicKey: "", justification: "first", receivedAt: 0 },
    ],
  }, UTC);
  assert.ok(text.indexOf('"node_id": 4') < text.indexOf('"node_id": 8'));
  assert.ok(text.includes('"justification": "\\u003cb\\u003e\\u0026\\u003c/b\\u003e"'), text);
  assert.equal(decodeTrustFile(text).pending[1].justification, "<b>&</b>");
});

Deno.test("trust file: times carry the local zone offset as RFC 3339 seconds", () => {
  const t = at("2026-11-24T18:32:27Z");
  assert.equal(formatRfc3339(t, 0), "2026-11-24T18:32:27Z");
  assert.equal(formatRfc3339(t, 60), "2026-11-24T19:32:27+01:00");
  assert.equal(formatRfc3339(t, -330), "2026-11-24T13:02:27-05:30");
  assert.equal(formatRfc3339(t, 14 * 60), "2026-11-25T08:32:27+14:00");
  const text = encodeTrustFile(SPEC_SNAPSHOT, { utcOffsetMinutes: () => 60 });
  assert.ok(text.includes('"approved_at": "2026-11-24T19:32:27+01:00"'), text);
  assert.deepEqual(decodeTrustFile(text), SPEC_SNAPSHOT, "the offset does not change the instant");
  // The default zone is the process's: whatever it is, the instant survives.
  assert.deepEqual(decodeTrustFile(encodeTrustFile(SPEC_SNAPSHOT)), SPEC_SNAPSHOT);
});

Deno.test("trust file: RFC 3339 parsing accepts what the reference may write and nothing else", () => {
  assert.equal(parseRfc3339("2026-11-24T18:32:27Z"), at("2026-11-24T18:32:27Z"));
  assert.equal(parseRfc3339("2026-11-24T18:32:27.999999999Z"), at("2026-11-24T18:32:27Z"));
  assert.equal(parseRfc3339("2026-11-24T19:32:27+01:00"), at("2026-11-24T18:32:27Z"));
  assert.equal(parseRfc3339("0001-01-01T00:00:00Z"), -62135596800, "Go's zero time");
  assert.equal(parseRfc3339("2024-02-29T00:00:00Z"), at("2024-02-29T00:00:00Z"));
  for (
    const bad of [
      "",
      "2026-11-24",
      "2026-11-24 18:32:27Z",
      "2026-11-24T18:32:27",
      "2026-02-30T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-00-01T00:00:00Z",
      "2026-11-24T24:00:00Z",
      "2026-11-24T18:60:00Z",
      "2026-11-24T18:32:60Z",
      "2026-11-24T18:32:27+24:00",
      "2026-11-24T18:32:27.Z",
      "2026-11-24t18:32:27z",
      "+2026-11-24T18:32:27Z",
      "1795545146",
    ]
  ) {
    assert.equal(parseRfc3339(bad), undefined, bad);
  }
});

Deno.test("trust file: duplicates keep the last entry and trusted wins over pending", () => {
  const snapshot = decodeTrustFile(JSON.stringify({
    trusted: [
      { node_id: 2, public_key: "a", approved_at: "2026-01-01T00:00:00Z", mutual: false },
      { node_id: 2, public_key: "b", approved_at: "2026-01-01T00:00:00Z", mutual: true },
    ],
    pending: [{ node_id: 2, received_at: "2026-01-01T00:00:00Z" }, {
      node_id: 3,
      received_at: "2026-01-01T00:00:00Z",
    }],
  }));
  assert.deepEqual(snapshot.trusted.map((t) => [t.nodeId, t.publicKey, t.mutual]), [[2, "b", true]]);
  assert.deepEqual(snapshot.pending.map((p) => p.nodeId), [3]);
});

Deno.test("trust file: hostile files end in store_trust_format naming the member", () => {
  const time = "2026-01-01T00:00:00Z";
  const table: [string, string, RegExp][] = [
    ["empty", "", /not valid JSON/],
    ["truncated", SPEC_EXAMPLE.slice(0, SPEC_EXAMPLE.length / 2), /not valid JSON/],
    ["array", "[]", /not a JSON object/],
    ["null", "null", /not a JSON object/],
    ["trusted not a list", '{"trusted":{}}', /trusted is not a list/],
    ["pending not a list", '{"pending":"x"}', /pending is not a list/],
    ["entry not an object", '{"trusted":[1]}', /trusted\[0\] is not an object/],
    ["missing node_id", `{"trusted":[{"approved_at":"${time}"}]}`, /trusted\[0\]\.node_id/],
    ["node_id 0", `{"trusted":[{"node_id":0,"approved_at":"${time}"}]}`, /trusted\[0\]\.node_id/],
    ["node_id string", `{"pending":[{"node_id":"5","received_at":"${time}"}]}`, /pending\[0\]\.node_id/],
    ["node_id too big", `{"trusted":[{"node_id":4294967296,"approved_at":"${time}"}]}`, /node_id/],
    ["key not a string", `{"trusted":[{"node_id":2,"public_key":5,"approved_at":"${time}"}]}`, /public_key/],
    ["mutual not a bool", `{"trusted":[{"node_id":2,"mutual":"yes","approved_at":"${time}"}]}`, /mutual/],
    ["network negative", `{"trusted":[{"node_id":2,"network":-1,"approved_at":"${time}"}]}`, /network/],
    ["missing approved_at", '{"trusted":[{"node_id":2}]}', /trusted\[0\]\.approved_at/],
    ["bad approved_at", '{"trusted":[{"node_id":2,"approved_at":"yesterday"}]}', /approved_at/],
    [
      "numeric received_at",
      '{"pending":[{"node_id":2,"received_at":1795545146}]}',
      /pending\[0\]\.received_at/,
    ],
    [
      "justification object",
      `{"pending":[{"node_id":2,"justification":{},"received_at":"${time}"}]}`,
      /justif/,
    ],
  ];
  for (const [name, text, pattern] of table) {
    assert.throws(() => decodeTrustFile(text), (err: unknown) => {
      assert.ok(isPilotError(err, "store_trust_format"), `${name}: ${err}`);
      assert.match(err.message, pattern, name);
      return true;
    });
  }
});
