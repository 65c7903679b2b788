import { deepEqual, equal, throws } from "node:assert/strict";
import { fuzzDecoder } from "../../protocol/_fuzz.ts";
import { PilotError } from "../../errors.ts";
import { decodeEvent, encodeEvent, type PubSubEvent } from "./event.ts";

const text = (s: string) => new TextEncoder().encode(s);

// services.md §13.4 and §13.5, captured from the reference CLI.
const SUBSCRIBE_STATUS = "0006737461747573" + "00000000";
const SUBSCRIBE_ALL = "00012a00000000";
const PUBLISH_STATUS = "0006737461747573" + "00000013" + "70726f63657373696e6720636f6d706c657465";

Deno.test("encodeEvent: the subscription to status is the 12 bytes of services.md §13.4", () => {
  equal(encodeEvent({ topic: text("status"), payload: new Uint8Array() }).toHex(), SUBSCRIBE_STATUS);
  equal(encodeEvent({ topic: text("*"), payload: new Uint8Array() }).toHex(), SUBSCRIBE_ALL);
});

Deno.test("encodeEvent: the published event is the 31 bytes of services.md §13.5", () => {
  const bytes = encodeEvent({ topic: text("status"), payload: text("processing complete") });
  equal(bytes.byteLength, 31);
  equal(bytes.toHex(), PUBLISH_STATUS);
});

Deno.test("decodeEvent: the spec examples decode to their topic and payload and re-encode byte for byte", () => {
  for (const hex of [SUBSCRIBE_STATUS, SUBSCRIBE_ALL, PUBLISH_STATUS]) {
    const bytes = Uint8Array.fromHex(hex);
    const { event, byteLength } = decodeEvent(bytes);
    equal(byteLength, bytes.byteLength);
    equal(encodeEvent(event).toHex(), hex);
  }
  const { event } = decodeEvent(Uint8Array.fromHex(PUBLISH_STATUS));
  equal(new TextDecoder().decode(event.topic), "status");
  equal(new TextDecoder().decode(event.payload), "processing complete");
});

Deno.test("decodeEvent: round trips empty, binary and limit-sized topics and payloads", () => {
  const cases: PubSubEvent[] = [
    { topic: new Uint8Array(), payload: new Uint8Array() },
    { topic: Uint8Array.of(0xFF, 0x00, 0x2E), payload: Uint8Array.of(0, 1, 2, 0xFF) },
    { topic: new Uint8Array(1024).fill(0x61), payload: new Uint8Array(70_000).fill(7) },
  ];
  for (const event of cases) {
    const bytes = encodeEvent(event);
    const decoded = decodeEvent(bytes);
    deepEqual(decoded.event, event);
    equal(decoded.byteLength, bytes.byteLength);
  }
});

Deno.test("decodeEvent: leaves the bytes after the first event for the next decode", () => {
  const two = new Uint8Array([
    ...Uint8Array.fromHex(SUBSCRIBE_STATUS),
    ...Uint8Array.fromHex(PUBLISH_STATUS),
  ]);
  const first = decodeEvent(two);
  equal(first.byteLength, 12);
  const second = decodeEvent(two.subarray(first.byteLength));
  equal(new TextDecoder().decode(second.event.payload), "processing complete");
});

Deno.test("decodeEvent: hostile inputs end in their PilotError code", () => {
  const table: [string, string, string][] = [
    ["empty", "", "service_event_truncated"],
    ["half a topic length", "00", "service_event_truncated"],
    ["topic cut short", "000673746174", "service_event_truncated"],
    ["no payload length", "0006737461747573", "service_event_truncated"],
    ["payload length cut short", "0006737461747573000000", "service_event_truncated"],
    ["payload cut short", "000673746174757300000013" + "70726f63", "service_event_truncated"],
    ["topic of 1025 bytes declared", "0401", "service_event_topic_too_long"],
    ["topic of 65535 bytes declared", "ffff", "service_event_topic_too_long"],
    ["payload of 16 MiB + 1 declared", "0000" + "01000001", "service_event_payload_too_large"],
    ["payload of 4 GiB declared", "0001" + "2a" + "ffffffff", "service_event_payload_too_large"],
  ];
  for (const [name, hex, code] of table) {
    throws(() => decodeEvent(Uint8Array.fromHex(hex)), (err: unknown) => {
      equal(err instanceof PilotError && err.code, code, name);
      return true;
    });
  }
});

Deno.test("decodeEvent: accepts exactly the limits, 1024-byte topic and a 16 MiB payload length", () => {
  const topic = new Uint8Array(1024);
  equal(decodeEvent(encodeEvent({ topic, payload: new Uint8Array() })).event.topic.byteLength, 1024);
  // 16 MiB declared is within the limit, so only the missing body fails.
  throws(() => decodeEvent(Uint8Array.fromHex("0000" + "01000000")), { code: "service_event_truncated" });
});

Deno.test("decodeEvent: 20,000 seeded mutations end in an event or a PilotError", () => {
  const seeds = [SUBSCRIBE_STATUS, SUBSCRIBE_ALL, PUBLISH_STATUS].map((hex) => Uint8Array.fromHex(hex));
  const report = fuzzDecoder("decodeEvent", (bytes) => decodeEvent(bytes), seeds, {
    count: 20_000,
    seed: 1002,
    onDecoded: ({ event, byteLength }, input) => {
      // Whatever is accepted re-encodes to the bytes it was decoded from.
      equal(encodeEvent(event).toHex(), input.subarray(0, byteLength).toHex());
    },
  });
  equal(
    report.accepted > 0 && report.rejected > 0,
    true,
    `accepted ${report.accepted}, rejected ${report.rejected}`,
  );
});
