/**
 * Which subscriptions a publication reaches. The reference's rules (services.md §5.3) are kept for every
 * topic they cover, and segment wildcards are added on top:
 *
 * - A topic is split into segments at each `.` byte (0x2E); `""` is one empty segment, `a.` is `a`
 *   and an empty segment. Comparison is byte-wise and case-sensitive throughout.
 * - Subscription `*` (the whole topic): every publication, including the empty topic and `*` itself,
 *   each once (reference behaviour).
 * - A subscription with no segment that is exactly `*`, and no final segment that is exactly `#`, is
 *   literal: it receives exactly its own topic, byte for byte (reference behaviour; `status` does not
 *   receive `Status`, `status.cpu` or `status/x`).
 * - Otherwise it is a pattern, matched segment by segment: a segment `*` matches exactly one segment,
 *   whatever its bytes (empty, or a literal `*`/`#`, included); a final segment `#` matches zero or
 *   more segments, together with the `.` before it; any other segment, `#` not in last place included,
 *   matches only itself. So `status.*` receives `status.cpu` and `status.*` but not `status` or
 *   `status.cpu.load`; `status.#` receives `status`, `status.cpu` and `status.cpu.load` but not
 *   `statusx`; `#` receives everything; `a.*.c` receives `a.b.c`.
 * - No other byte is special: `/`, `>`, `+` and the rest match only themselves.
 *
 * Deviation from the reference: there `status.*` is literal and receives only `status.*` (verified,
 * quirk 7); here it also receives `status.cpu`. Publishing to `status.*` still reaches a `status.*`
 * subscriber, so a reference publisher loses nothing; a `status.*` subscriber gains the one-segment
 * topics the product page's wildcard syntax promises.
 *
 * The publisher's own connection never receives its publication; that rule is the broker's.
 *
 * @module
 */

import { ALL_TOPICS } from "./constants.ts";

/** A compiled subscription topic. */
export type TopicPattern =
  | { readonly kind: "all" }
  | { readonly kind: "exact"; readonly key: string }
  | { readonly kind: "segments"; readonly segments: readonly string[]; readonly tail: boolean };

const SEPARATOR = ".";
const ONE_SEGMENT = "*";
const ANY_SEGMENTS = "#";

/**
 * A topic's bytes as a string of the same length, one char per byte (Latin-1 by code point), so maps
 * and `split(".")` work on bytes exactly, whatever the encoding. Not `TextDecoder("latin1")`, which is
 * windows-1252 and maps 0x80–0x9F elsewhere.
 */
export function topicKey(topic: Uint8Array): string {
  let key = "";
  // 1024 bytes at most reach here (the reader limit), so chunks of 4096 keep the argument list small.
  for (let i = 0; i < topic.byteLength; i += 4096) {
    key += String.fromCharCode(...topic.subarray(i, i + 4096));
  }
  return key;
}

/**
 * Compiles a subscription topic.
 *
 * @example
 * ```ts
 * import { compileTopicPattern, matchesTopic } from "./topic_match.ts";
 * const bytes = (t: string) => new TextEncoder().encode(t);
 * const cpu = compileTopicPattern(bytes("status.*"));
 * if (!matchesTopic(cpu, bytes("status.cpu")) || matchesTopic(cpu, bytes("status.cpu.load"))) {
 *   throw new Error("one segment");
 * }
 * ```
 */
export function compileTopicPattern(topic: Uint8Array): TopicPattern {
  const key = topicKey(topic);
  if (key === ALL_TOPICS) return { kind: "all" };
  const segments = key.split(SEPARATOR);
  const tail = segments[segments.length - 1] === ANY_SEGMENTS;
  if (!tail && !segments.includes(ONE_SEGMENT)) return { kind: "exact", key };
  return { kind: "segments", segments: tail ? segments.slice(0, -1) : segments, tail };
}

/** True when a subscription compiled to `pattern` receives a publication on `topic`. */
export function matchesTopic(pattern: TopicPattern, topic: Uint8Array): boolean {
  return matchesTopicKey(pattern, topicKey(topic));
}

/** {@linkcode matchesTopic} on a topic already turned into its {@linkcode topicKey}. */
export function matchesTopicKey(pattern: TopicPattern, key: string): boolean {
  switch (pattern.kind) {
    case "all":
      return true;
    case "exact":
      return pattern.key === key;
    case "segments": {
      const topic = key.split(SEPARATOR);
      const { segments, tail } = pattern;
      if (tail ? topic.length < segments.length : topic.length !== segments.length) return false;
      for (let i = 0; i < segments.length; i++) {
        if (segments[i] !== ONE_SEGMENT && segments[i] !== topic[i]) return false;
      }
      return true;
    }
    default: {
      const unreachable: never = pattern;
      throw new Error(`unknown pattern ${JSON.stringify(unreachable)}`);
    }
  }
}
