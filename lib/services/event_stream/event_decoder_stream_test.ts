import { deepEqual, equal, rejects } from "node:assert/strict";
import { isPilotError } from "../../errors.ts";
import { mutate, Prng } from "../../protocol/_fuzz.ts";
import { encodeEvent, type PubSubEvent } from "./event.ts";
import { EventDecoderStream } from "./event_decoder_stream.ts";
import { concatBytes } from "../../streams/mod.ts";

const text = (s: string) => new TextEncoder().encode(s);

function decodeChunks(chunks: Uint8Array[]): Promise<PubSubEvent[]> {
  return Array.fromAsync(ReadableStream.from(chunks).pipeThrough(new EventDecoderStream()));
}

// Every boundary case in one input: both fields empty, each empty alone, a binary topic, the spec events.
const EVENTS: PubSubEvent[] = [
  { topic: text("status"), payload: new Uint8Array() },
  { topic: text("status"), payload: text("processing complete") },
  { topic: new Uint8Array(), payload: new Uint8Array() },
  { topic: new Uint8Array(), payload: text("x") },
  { topic: Uint8Array.of(0x00, 0xFF, 0x2E), payload: new Uint8Array() },
  { topic: text("*"), payload: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9) },
];
const WIRE = concatBytes(EVENTS.map((event) => encodeEvent(event)));

Deno.test("EventDecoderStream: one byte at a time gives every event, empty fields included", async () => {
  const chunks = Array.from(WIRE, (byte) => Uint8Array.of(byte));
  deepEqual(await decodeChunks(chunks), EVENTS);
});

Deno.test("EventDecoderStream: a split at every offset gives the same events", async () => {
  for (let at = 0; at <= WIRE.byteLength; at++) {
    deepEqual(await decodeChunks([WIRE.subarray(0, at), WIRE.subarray(at)]), EVENTS, `split at ${at}`);
  }
});

Deno.test("EventDecoderStream: splits at every pair of offsets of one event give that event", async () => {
  const wire = encodeEvent(EVENTS[1]);
  for (let i = 0; i <= wire.byteLength; i++) {
    for (let j = i; j <= wire.byteLength; j++) {
      const chunks = [wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)];
      deepEqual(await decodeChunks(chunks), [EVENTS[1]], `split at ${i}, ${j}`);
    }
  }
});

Deno.test("EventDecoderStream: a 1 MiB payload in 4096-byte pieces arrives whole", async () => {
  const payload = new Uint8Array(1_048_576).map((_, i) => i * 7);
  const wire = encodeEvent({ topic: text("big"), payload });
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < wire.byteLength; at += 4096) chunks.push(wire.subarray(at, at + 4096));
  const [event] = await decodeChunks(chunks);
  equal(event.payload.byteLength, payload.byteLength);
  deepEqual(event.payload, payload);
});

Deno.test("EventDecoderStream: a payload of exactly 16 MiB is accepted", async () => {
  const wire = encodeEvent({ topic: text("max"), payload: new Uint8Array(16_777_216).fill(0xAB) });
  const [event] = await decodeChunks([wire.subarray(0, 100_000), wire.subarray(100_000)]);
  equal(event.payload.byteLength, 16_777_216);
  equal(event.payload[16_777_215], 0xAB);
});

Deno.test("EventDecoderStream: an oversized declared length is refused before its body is sent", async (t) => {
  const cases: [string, string, string][] = [
    ["topic of 1025 bytes", "0401", "service_event_topic_too_long"],
    ["payload of 16 MiB + 1", "0003616263" + "01000001", "service_event_payload_too_large"],
    ["payload of 4 GiB - 1", "0000" + "ffffffff", "service_event_payload_too_large"],
  ];
  for (const [name, hex, code] of cases) {
    await t.step(name, async () => {
      // The input stays open: the error must come from the length field alone.
      const decoder = new EventDecoderStream();
      const writer = decoder.writable.getWriter();
      const reader = decoder.readable.getReader();
      void writer.write(Uint8Array.fromHex(hex)).catch(() => {
        // The same error also rejects the write; the read below is where it is asserted.
      });
      await rejects(reader.read(), { code });
      await writer.closed.catch(() => {
        // Errored as expected.
      });
    });
  }
});

Deno.test("EventDecoderStream: input ending inside an event errors with service_event_truncated", async () => {
  const wire = encodeEvent(EVENTS[1]);
  for (let at = 1; at < wire.byteLength; at++) {
    await rejects(decodeChunks([wire.subarray(0, at)]), { code: "service_event_truncated" }, `cut at ${at}`);
  }
  deepEqual(await decodeChunks([]), []);
});

Deno.test("EventDecoderStream: 12,000 seeded mutations in random pieces end in events or a PilotError", async () => {
  const rng = new Prng(1002);
  const seeds = [WIRE, ...EVENTS.map((event) => encodeEvent(event))];
  let accepted = 0;
  let rejected = 0;
  for (let i = 0; i < 12_000; i++) {
    const input = i % 10 === 0 ? rng.bytes(rng.below(64)) : mutate(rng, rng.pick(seeds), { maxLength: 4096 });
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < input.byteLength;) {
      const size = 1 + rng.below(16);
      chunks.push(input.subarray(at, at + size));
      at += size;
    }
    try {
      const events = await decodeChunks(chunks);
      // Accepted input is a whole number of events that re-encode to exactly that input.
      equal(concatBytes(events.map((event) => encodeEvent(event))).toHex(), input.toHex(), `input ${i}`);
      accepted++;
    } catch (err) {
      if (!isPilotError(err)) {
        throw new Error(`input ${i} (${input.toHex()}) threw a non-PilotError`, { cause: err });
      }
      rejected++;
    }
  }
  equal(accepted > 100 && rejected > 100, true, `accepted ${accepted}, rejected ${rejected}`);
});
