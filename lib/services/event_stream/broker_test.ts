import { deepEqual, equal } from "node:assert/strict";
import { createLogger, type LogRecord } from "../../log.ts";
import { EventBroker, type Subscriber } from "./broker.ts";
import { decodeEvent } from "./event.ts";

const text = (s: string) => new TextEncoder().encode(s);
const decoder = new TextDecoder();
const publication = (topic: string, payload = "x") => ({ topic: text(topic), payload: text(payload) });

/** What `sub` has been given since the last call, as `topic=payload` strings. */
function received(sub: Subscriber): string[] {
  return sub.queue.takeAll().map((frame) => {
    const { event } = decodeEvent(frame);
    return `${decoder.decode(event.topic)}=${decoder.decode(event.payload)}`;
  });
}

Deno.test("EventBroker: each subscriber gets exactly the publications its topic matches", () => {
  const broker = new EventBroker();
  const subs = Object.fromEntries(
    ["status", "*", "status.*", "status.#", "other"].map((topic) => [topic, broker.subscribe(text(topic))]),
  );
  for (const topic of ["status", "status.cpu", "status.cpu.load", "Status", "*", ""]) {
    broker.publish(publication(topic, topic));
  }
  deepEqual(received(subs["status"]), ["status=status"]);
  deepEqual(received(subs["*"]), [
    "status=status",
    "status.cpu=status.cpu",
    "status.cpu.load=status.cpu.load",
    "Status=Status",
    "*=*",
    "=",
  ]);
  deepEqual(received(subs["status.*"]), ["status.cpu=status.cpu"]);
  deepEqual(received(subs["status.#"]), [
    "status=status",
    "status.cpu=status.cpu",
    "status.cpu.load=status.cpu.load",
  ]);
  deepEqual(received(subs["other"]), []);
});

Deno.test("EventBroker: the publishing subscription never receives its own publication", () => {
  const broker = new EventBroker();
  const publisher = broker.subscribe(text("news"));
  const reader = broker.subscribe(text("news"));
  const all = broker.subscribe(text("*"));
  equal(broker.publish(publication("news", "e1"), publisher), 2);
  deepEqual(received(publisher), []);
  deepEqual(received(reader), ["news=e1"]);
  deepEqual(received(all), ["news=e1"]);
});

Deno.test("EventBroker: unsubscribing stops delivery and fires the hooks as the reference's webhooks", () => {
  const seen: string[] = [];
  const broker = new EventBroker({
    hooks: {
      onSubscribed: ({ remote, topic }) => seen.push(`sub ${remote} ${decoder.decode(topic)}`),
      onPublished: ({ from, topic, size }) => seen.push(`pub ${from} ${decoder.decode(topic)} ${size}`),
      onUnsubscribed: ({ remote, topic }) => seen.push(`unsub ${remote} ${decoder.decode(topic)}`),
    },
  });
  const a = broker.subscribe(text("t"), { remote: "a" });
  const empty = broker.subscribe(new Uint8Array(), { remote: "e" });
  broker.publish(publication("t", "12345"), empty);
  broker.unsubscribe(a);
  broker.unsubscribe(a); // idempotent: no second hook
  broker.unsubscribe(empty); // empty topic: no unsubscribed hook, as in the reference
  equal(broker.publish(publication("t")), 0);
  deepEqual(seen, ["sub a t", "sub e ", "pub e t 5", "unsub a t", "pub undefined t 1"]);
  equal(broker.stats.subscribers, 0);
  equal(broker.stats.published, 2);
});

Deno.test("EventBroker: a full queue drops events for that subscriber only, counted and logged sparingly", () => {
  const logs: LogRecord[] = [];
  const broker = new EventBroker({ maxEvents: 4, logger: createLogger({ sink: (r) => logs.push(r) }) });
  const slow = broker.subscribe(text("t"));
  const fast = broker.subscribe(text("t"));
  for (let n = 0; n < 100; n++) {
    broker.publish(publication("t", String(n)));
    if (n % 2 === 0) received(fast); // the fast one keeps up
  }
  equal(slow.queue.dropped, 96);
  equal(fast.queue.dropped, 0);
  deepEqual(received(slow), ["t=0", "t=1", "t=2", "t=3"], "the oldest are kept, the newest dropped");
  equal(broker.stats.dropped, 96);
  equal(broker.stats.delivered, 104);
  // Logged at 1, 2, 4, 8, 16, 32 and 64 drops: seven lines for 96 drops.
  equal(logs.filter((r) => r.msg === "eventstream subscriber too slow, dropping events").length, 7);
});

Deno.test("EventBroker: under the disconnect policy a full queue removes the subscriber and calls onOverflow", () => {
  const broker = new EventBroker({ maxEvents: 2, overflow: "disconnect" });
  let overflowed = 0;
  const slow = broker.subscribe(text("t"), { onOverflow: () => overflowed++ });
  const other = broker.subscribe(text("*"));
  const otherGot: string[] = [];
  for (let n = 0; n < 5; n++) {
    broker.publish(publication("t", String(n)));
    otherGot.push(...received(other)); // this one keeps up
  }
  equal(overflowed, 1);
  equal(slow.queue.isClosed, true);
  equal(broker.stats.subscribers, 1);
  equal(broker.stats.disconnected, 1);
  equal(otherGot.length, 5, "the subscriber that keeps up is not affected");
});

Deno.test("EventBroker: one publication is encoded once and shared by every queue", () => {
  const broker = new EventBroker();
  const subs = Array.from({ length: 3 }, () => broker.subscribe(text("t")));
  broker.publish(publication("t"));
  const frames = subs.map((sub) => sub.queue.takeAll()[0]);
  equal(frames[0], frames[1]);
  equal(frames[1], frames[2]);
});
