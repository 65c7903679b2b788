import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { encodeWebhookBody } from "./body.ts";

const SECOND_03 = 1_795_545_243n * 1_000_000_000n; // 2026-11-24T18:34:03Z
const SECOND_53 = 1_795_545_293n * 1_000_000_000n; // 2026-11-24T18:34:53Z

Deno.test("encodeWebhookBody: reproduces the §12.10 captured bodies byte for byte", () => {
  assert.equal(
    encodeWebhookBody("trust.revoked", 1, SECOND_03 + 521_488_654n, { peer_node_id: 2 }),
    '{"event":"trust.revoked","node_id":1,"timestamp":"2026-11-24T18:34:03.521488654Z","data":{"peer_node_id":2}}',
  );
  assert.equal(
    // Given in the event table's order: the body sorts the keys.
    encodeWebhookBody("tunnel.established", 1, SECOND_03 + 609_040_104n, {
      peer_node_id: 2,
      authenticated: true,
      relay: false,
      rekeyed: false,
    }),
    '{"event":"tunnel.established","node_id":1,"timestamp":"2026-11-24T18:34:03.609040104Z",' +
      '"data":{"authenticated":true,"peer_node_id":2,"rekeyed":false,"relay":false}}',
  );
  assert.equal(
    encodeWebhookBody("security.nonce_replay", 1, SECOND_03 + 636_345_883n, { peer_node_id: 2, counter: 1 }),
    '{"event":"security.nonce_replay","node_id":1,"timestamp":"2026-11-24T18:34:03.636345883Z",' +
      '"data":{"counter":1,"peer_node_id":2}}',
  );
});

Deno.test("encodeWebhookBody: reproduces the services.md §8 message.received example", () => {
  const data = { type: "TEXT", from: "0:0000.0000.0001", size: 4 };
  assert.equal(
    encodeWebhookBody("message.received", 2, SECOND_53 + 814_283_679n, data),
    '{"event":"message.received","node_id":2,"timestamp":"2026-11-24T18:34:53.814283679Z",' +
      '"data":{"from":"0:0000.0000.0001","size":4,"type":"TEXT"}}',
  );
});

Deno.test("encodeWebhookBody: leaves data out when there is none or it is empty", () => {
  const want = '{"event":"node.deregistered","node_id":7,"timestamp":"2026-11-24T18:34:03.5Z"}';
  assert.equal(encodeWebhookBody("node.deregistered", 7, SECOND_03 + 500_000_000n), want);
  assert.equal(encodeWebhookBody("node.deregistered", 7, SECOND_03 + 500_000_000n, {}), want);
});

Deno.test("encodeWebhookBody: takes a Date, written to the millisecond", () => {
  assert.equal(
    encodeWebhookBody("node.reregistered", 3, new Date(1_795_545_243_521), { address: "0:0000.0000.0003" }),
    '{"event":"node.reregistered","node_id":3,"timestamp":"2026-11-24T18:34:03.521Z",' +
      '"data":{"address":"0:0000.0000.0003"}}',
  );
});

Deno.test("encodeWebhookBody: escapes text as the reference does, in the event and in data", () => {
  const body = encodeWebhookBody("a<b>&\u2028", 1, SECOND_03, {
    justification: 'please <trust> me & "friends"\u2029\n',
    peer_node_id: 2,
  });
  assert.equal(
    body,
    '{"event":"a\\u003cb\\u003e\\u0026\\u2028","node_id":1,"timestamp":"2026-11-24T18:34:03Z",' +
      '"data":{"justification":"please \\u003ctrust\\u003e me \\u0026 \\"friends\\"\\u2029\\n","peer_node_id":2}}',
  );
  assert.deepEqual(JSON.parse(body).data.justification, 'please <trust> me & "friends"\u2029\n');
});

Deno.test("encodeWebhookBody: writes a bigint counter as a JSON number and u32 node ids in full", () => {
  const body = encodeWebhookBody("security.nonce_replay", 0xffff_ffff, SECOND_03, {
    counter: 18_446_744_073_709_551_615n,
    peer_node_id: 0,
  });
  assert.equal(
    body,
    '{"event":"security.nonce_replay","node_id":4294967295,"timestamp":"2026-11-24T18:34:03Z",' +
      '"data":{"counter":18446744073709551615,"peer_node_id":0}}',
  );
});

Deno.test("encodeWebhookBody: refuses node ids that are not u32 with service_webhook_node_id", () => {
  for (const bad of [-1, 1.5, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => encodeWebhookBody("node.deregistered", bad, SECOND_03),
      (err) => isPilotError(err, "service_webhook_node_id") && err.message.includes(String(bad)),
    );
  }
});

Deno.test("encodeWebhookBody: refuses data JSON cannot carry with service_webhook_data", () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => encodeWebhookBody("data.datagram", 1, SECOND_03, { size: bad }),
      (err) => isPilotError(err, "service_webhook_data") && err.message.includes("data.datagram"),
    );
  }
});

Deno.test("encodeWebhookBody: refuses a time outside years 0-9999 with service_webhook_time", () => {
  assert.throws(
    () => encodeWebhookBody("node.deregistered", 1, 10n ** 30n),
    (err) => isPilotError(err, "service_webhook_time"),
  );
  assert.throws(
    () => encodeWebhookBody("node.deregistered", 1, new Date(Number.NaN)),
    (err) => isPilotError(err, "service_webhook_time"),
  );
});
