import { equal } from "node:assert/strict";
import { compileTopicPattern, matchesTopic, topicKey } from "./topic_match.ts";

const text = (s: string) => new TextEncoder().encode(s);
const matches = (subscription: string | Uint8Array, topic: string | Uint8Array) =>
  matchesTopic(
    compileTopicPattern(typeof subscription === "string" ? text(subscription) : subscription),
    typeof topic === "string" ? text(topic) : topic,
  );

Deno.test("matchesTopic: the reference's table of services.md §5.3 holds, except the wildcard extension", () => {
  const table: [string, string, boolean][] = [
    ["status", "status", true],
    ["status", "Status", false],
    ["status", "status.cpu", false],
    ["status", "status/x", false],
    ["status", "*", false],
    ["*", "status", true],
    ["*", "other", true],
    ["*", "", true],
    ["*", "*", true],
    ["status.*", "status.*", true], // literal match still works
  ];
  for (const [subscription, topic, expected] of table) {
    equal(matches(subscription, topic), expected, `${subscription} ← ${topic}`);
  }
});

Deno.test("matchesTopic: literal topics are compared byte for byte, empty and non-UTF-8 included", () => {
  equal(matches("", ""), true);
  equal(matches("", "x"), false);
  equal(matches(Uint8Array.of(0xFF, 0x80), Uint8Array.of(0xFF, 0x80)), true);
  equal(matches(Uint8Array.of(0xFF, 0x80), Uint8Array.of(0xFF, 0x81)), false);
  // 0x80..0x9F are where windows-1252 (what TextDecoder calls latin1) would fold bytes together.
  equal(matches(Uint8Array.of(0x80), Uint8Array.of(0x20AC & 0xFF)), false);
  equal(topicKey(Uint8Array.of(0x80, 0x9F, 0xFF)).length, 3);
  equal(matches("a#", "a#"), true);
  equal(matches("a.#.b", "a.#.b"), true); // `#` not last is literal
  equal(matches("a.#.b", "a.x.b"), false);
});

Deno.test("matchesTopic: `*` as a segment matches exactly one segment", () => {
  const table: [string, string, boolean][] = [
    ["status.*", "status.cpu", true],
    ["status.*", "status.", true], // one empty segment
    ["status.*", "status", false],
    ["status.*", "status.cpu.load", false],
    ["status.*", "statusx.cpu", false],
    ["status.*", "Status.cpu", false],
    ["*.cpu", "status.cpu", true],
    ["*.cpu", "cpu", false],
    ["a.*.c", "a.b.c", true],
    ["a.*.c", "a.b.d", false],
    ["a.*.c", "a.b.x.c", false],
    ["*.*", "a.b", true],
    ["*.*", "a", false],
    ["status.*", "status/cpu", false],
  ];
  for (const [subscription, topic, expected] of table) {
    equal(matches(subscription, topic), expected, `${subscription} ← ${topic}`);
  }
});

Deno.test("matchesTopic: a final `#` matches zero or more segments", () => {
  const table: [string, string, boolean][] = [
    ["status.#", "status", true],
    ["status.#", "status.cpu", true],
    ["status.#", "status.cpu.load", true],
    ["status.#", "status.", true],
    ["status.#", "statusx", false],
    ["status.#", "statu", false],
    ["status.#", "other.status", false],
    ["#", "", true],
    ["#", "anything.at.all", true],
    ["*.#", "a", true],
    ["*.#", "a.b.c", true],
    ["a.*.#", "a", false],
    ["a.*.#", "a.b", true],
    ["a.*.#", "a.b.c.d", true],
  ];
  for (const [subscription, topic, expected] of table) {
    equal(matches(subscription, topic), expected, `${subscription} ← ${topic}`);
  }
});

Deno.test("compileTopicPattern: only `*` alone, a `*` segment or a final `#` make a pattern", () => {
  equal(compileTopicPattern(text("*")).kind, "all");
  equal(compileTopicPattern(text("status")).kind, "exact");
  equal(compileTopicPattern(text("a*")).kind, "exact");
  equal(compileTopicPattern(text("a.#.b")).kind, "exact");
  equal(compileTopicPattern(text("a.*")).kind, "segments");
  equal(compileTopicPattern(text("a.#")).kind, "segments");
  equal(compileTopicPattern(text("#")).kind, "segments");
});
