/**
 * The event stream service on real TCP sockets at 127.0.0.1 port 0: wire bytes, matching, count,
 * slow subscribers, broken peers, fan-out and shutdown, through the same client helpers the CLI uses.
 */

import { deepEqual, equal, rejects } from "node:assert/strict";
import {
  encodeEvent,
  publish,
  subscribe,
  type SubscribedEvent,
  type SubscribeResult,
} from "../lib/services/event_stream/mod.ts";
import { readBytes, readToEnd, startEventStream, writeAll } from "../lib/services/event_stream/_testing.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const text = (s: string) => new TextEncoder().encode(s);
const event = (topic: string, payload = "") => encodeEvent({ topic: text(topic), payload: text(payload) });
const SECTION_13_5 = "0006737461747573" + "00000013" + "70726f63657373696e6720636f6d706c657465";

Deno.test("eventstream: a subscriber receives exactly the 31 bytes of services.md §13.5", async () => {
  await using service = startEventStream();
  const raw = await service.dial();
  try {
    await writeAll(raw, Uint8Array.fromHex("0006737461747573" + "00000000")); // §13.4
    await service.subscribers(1);
    await publish(await service.dial(), "status", "processing complete");
    const got = await withDeadline(readBytes(raw, 31), 5_000, "subscriber did not get 31 bytes");
    equal(got.toHex(), SECTION_13_5);
  } finally {
    raw.close();
  }
});

Deno.test("publish: writes the subscription then the publication, 43 bytes, and closes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const accepted = listener.accept();
    const result = await publish(
      await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
      "status",
      "processing complete",
    );
    deepEqual(result, { topic: "status", bytes: 19 });
    const conn = await accepted;
    try {
      const got = await withDeadline(readBytes(conn, 100), 5_000, "publisher did not close");
      equal(got.toHex(), "0006737461747573" + "00000000" + SECTION_13_5);
    } finally {
      conn.close();
    }
  } finally {
    listener.close();
  }
});

Deno.test("eventstream: exact, *, status.* and status.# subscribers each get exactly their events", async () => {
  await using service = startEventStream();
  const topics = ["status", "status.*", "status.#", "*"];
  const seen = new Map<string, string[]>(topics.map((t) => [t, []]));
  const runs = topics.map(async (topic) => {
    const stop = new AbortController();
    const result = await subscribe(await service.dial(), topic, {
      signal: stop.signal,
      onEvent: (e: SubscribedEvent) => {
        seen.get(topic)?.push(`${e.topic}=${e.data}`);
        if (e.data === "fin") stop.abort();
      },
    });
    equal(result.end, "aborted");
  });
  await service.subscribers(topics.length);
  // One publishing connection, so every subscriber sees its events in publish order (§5.4).
  const publisher = await service.dial();
  try {
    await writeAll(publisher, event("publisher-only"));
    const published = [
      "status",
      "Status",
      "status.cpu",
      "status.cpu.load",
      "status/x",
      "statusx",
      "*",
      "other",
    ];
    for (const topic of published) await writeAll(publisher, event(topic, topic));
    // Sentinels: `status` for status, * and status.#; `status.fin` for status.* (and the others after).
    await writeAll(publisher, event("status", "fin"));
    await writeAll(publisher, event("status.fin", "fin"));
    await withDeadline(Promise.all(runs), 5_000, "a subscriber did not see its sentinel");
  } finally {
    publisher.close();
  }
  deepEqual(seen.get("status"), ["status=status", "status=fin"]);
  deepEqual(seen.get("status.*"), ["status.cpu=status.cpu", "status.fin=fin"]);
  deepEqual(seen.get("status.#"), [
    "status=status",
    "status.cpu=status.cpu",
    "status.cpu.load=status.cpu.load",
    "status=fin",
  ]);
  deepEqual(seen.get("*"), [
    "status=status",
    "Status=Status",
    "status.cpu=status.cpu",
    "status.cpu.load=status.cpu.load",
    "status/x=status/x",
    "statusx=statusx",
    "*=*",
    "other=other",
    "status=fin",
  ]);
});

Deno.test("subscribe: with count 3 it ends after the third event and the broker drops the subscription", async () => {
  await using service = startEventStream();
  const result = subscribe(await service.dial(), "news", { count: 3 });
  await service.subscribers(1);
  const publisher = await service.dial();
  try {
    await writeAll(publisher, event("x"));
    for (let n = 1; n <= 5; n++) await writeAll(publisher, event("news", `e${n}`));
    const done: SubscribeResult = await withDeadline(result, 5_000, "subscribe did not end after 3 events");
    equal(done.end, "count");
    equal(done.received, 3);
    deepEqual(done.events.map((e) => [e.topic, e.data, e.bytes]), [["news", "e1", 2], ["news", "e2", 2], [
      "news",
      "e3",
      2,
    ]]);
    await service.subscribers(1, "the subscriber's connection is gone, only the publisher's remains");
  } finally {
    publisher.close();
  }
});

Deno.test("subscribe: the stream ending reports EOF, with the events so far", async () => {
  await using service = startEventStream();
  const first = Promise.withResolvers<void>();
  const result = subscribe(await service.dial(), "news", { count: 5, onEvent: () => first.resolve() });
  await service.subscribers(1);
  await publish(await service.dial(), "news", "only");
  await withDeadline(first.promise, 5_000, "the event did not arrive");
  // Shutting the service down closes the subscriber's connection between events.
  await service[Symbol.asyncDispose]();
  const done = await withDeadline(result, 5_000, "subscribe did not see the stream end");
  equal(done.end, "error");
  equal(done.error, "EOF");
  deepEqual(done.events.map((e) => e.data), ["only"]);
});

Deno.test("subscribe: an oversized topic is refused before anything is sent", async () => {
  await using service = startEventStream();
  const conn = await service.dial();
  await rejects(subscribe(conn, "t".repeat(1025)), { code: "invalid_argument" });
  await rejects(publish(await service.dial(), "t".repeat(1025), "x"), { code: "invalid_argument" });
  equal(service.broker.stats.subscribers, 0);
});

Deno.test("eventstream: a subscriber that never reads does not delay the others", async () => {
  await using service = startEventStream({ maxBytes: 256 * 1024 });
  const blocked = await service.dial();
  try {
    await writeAll(blocked, event("load"));
    // Lock-step with the reading subscriber: each event must reach it while the blocked one's socket
    // buffers and then its queue fill up (32 MB in all, far past both), and the broker drops for it.
    const count = 2_000;
    const frame = event("load", "p".repeat(16 * 1024));
    let arrived = Promise.withResolvers<void>();
    const fast = subscribe(await service.dial(), "load", {
      count,
      onEvent: () => arrived.resolve(),
    });
    await service.subscribers(2);
    const publisher = await service.dial();
    let slowest = 0;
    try {
      await writeAll(publisher, event("publisher"));
      for (let n = 0; n < count; n++) {
        const started = performance.now();
        await writeAll(publisher, frame);
        await withDeadline(arrived.promise, 5_000, `event ${n} did not reach the reading subscriber`);
        arrived = Promise.withResolvers<void>();
        slowest = Math.max(slowest, performance.now() - started);
      }
      const done = await withDeadline(fast, 5_000, "the reading subscriber did not finish");
      equal(done.received, count);
    } finally {
      publisher.close();
    }
    equal(
      service.broker.stats.dropped > 0,
      true,
      "the blocked subscriber's overflow was dropped, not buffered",
    );
    equal(slowest < 1_000, true, `slowest event took ${slowest.toFixed(1)} ms`);
  } finally {
    blocked.close();
  }
});

Deno.test("eventstream: under the disconnect policy a blocked subscriber is cut off", async () => {
  await using service = startEventStream({ maxBytes: 64 * 1024, overflow: "disconnect" });
  const blocked = await service.dial();
  try {
    await writeAll(blocked, event("load"));
    await service.subscribers(1);
    const publisher = await service.dial();
    try {
      await writeAll(publisher, event("publisher"));
      const frame = event("load", "p".repeat(16 * 1024));
      // Publish until the broker gives up on the subscriber; bounded by the bytes it could ever buffer.
      let published = 0;
      while (published < 4_000 && service.broker.stats.disconnected === 0) {
        await writeAll(publisher, frame);
        published++;
      }
      equal(service.broker.stats.disconnected, 1);
      const total = await withDeadline(
        readToEnd(blocked),
        5_000,
        "the cut-off subscriber did not see the end",
      );
      // The cut may fall inside an event (a write in progress is abandoned); the client then reports
      // "unexpected EOF". What matters: the stream ended, short of what was published.
      equal(total < published * frame.byteLength, true, `${total} of ${published * frame.byteLength} bytes`);
    } finally {
      publisher.close();
    }
  } finally {
    blocked.close();
  }
});

Deno.test("eventstream: broken peers are dropped while the broker keeps serving the others", async (t) => {
  await using service = startEventStream();
  const good = subscribe(await service.dial(), "news", { count: 2 });
  await service.subscribers(1);
  const hostile: [string, Uint8Array][] = [
    ["closes mid-frame after subscribing", new Uint8Array([...event("news"), 0x00, 0x04, 0x6e])],
    ["declares a 65535-byte topic", Uint8Array.fromHex("ffff")],
    [
      "declares a payload past 16 MiB",
      new Uint8Array([...event("news"), ...Uint8Array.fromHex("0000" + "01000001")]),
    ],
    ["subscribes and sends garbage", new Uint8Array([...event("news"), ...new Uint8Array(64).fill(0xFF)])],
    ["closes inside the subscription", Uint8Array.fromHex("000673")],
  ];
  await publish(await service.dial(), "news", "before");
  for (const [name, bytes] of hostile) {
    await t.step(name, async () => {
      const conn = await service.dial();
      try {
        await writeAll(conn, bytes);
        if (name.startsWith("closes")) return; // the finally closes it mid-frame
        // The broker closes a connection whose event is malformed: we see the end of the stream.
        await withDeadline(readToEnd(conn), 5_000, "broker did not close the malformed connection");
      } finally {
        conn.close();
      }
    });
  }
  await service.subscribers(1, "only the good subscriber is left");
  await publish(await service.dial(), "news", "after");
  const done = await withDeadline(good, 5_000, "the good subscriber stopped receiving");
  deepEqual(done.events.map((e) => e.data), ["before", "after"]);
});

Deno.test("eventstream: the publishing connection is not sent its own event", async () => {
  await using service = startEventStream();
  const self = await service.dial();
  try {
    await writeAll(self, event("t"));
    await service.subscribers(1);
    await writeAll(self, event("t", "mine"));
    await publish(await service.dial(), "t", "theirs");
    const got = await withDeadline(
      readBytes(self, event("t", "theirs").byteLength),
      5_000,
      "no event arrived",
    );
    equal(got.toHex(), event("t", "theirs").toHex());
  } finally {
    self.close();
  }
});

Deno.test("eventstream: one broker fans out to 100 subscribers, each getting every event in order", async () => {
  await using service = startEventStream();
  const subscribers = 100;
  const events = 20;
  const runs = Array.from({ length: subscribers }, async (_, i) => {
    const topic = ["fan", "*", "fan.#"][i % 3];
    return await subscribe(await service.dial(), topic, { count: events });
  });
  await service.subscribers(subscribers);
  const publisher = await service.dial();
  try {
    await writeAll(publisher, event("publisher"));
    for (let n = 0; n < events; n++) await writeAll(publisher, event("fan", `e${n}`));
    const results = await withDeadline(Promise.all(runs), 10_000, "not every subscriber got every event");
    const expected = Array.from({ length: events }, (_, n) => `e${n}`);
    for (const result of results) deepEqual(result.events.map((e) => e.data), expected);
  } finally {
    publisher.close();
  }
  equal(service.broker.stats.delivered, subscribers * events);
});
