/**
 * The client side of port 1002 that `pilotctl subscribe` and `pilotctl publish` use (services.md
 * §5.5, §5.6, cli.md §10.6, §10.7), on a connection the caller has dialled. Output formatting and the
 * CLI's messages (`cannot subscribe on <addr> ...`) are the CLI's; the codes here tell it which case
 * it is in.
 *
 * @module
 */

import { isPilotError, PilotError } from "../../errors.ts";
import { closeQuietly, type ServiceConn } from "../_service_types.ts";
import { decodeUtf8PerByte } from "./_text.ts";
import { MAX_EVENT_PAYLOAD_BYTES, MAX_TOPIC_BYTES } from "./constants.ts";
import { encodeEvent } from "./event.ts";
import { EventDecoderStream } from "./event_decoder_stream.ts";

/** One event as `subscribe` reports it: the CLI's record (`bytes`, `data`, `topic`) plus the raw bytes. */
export interface SubscribedEvent {
  /** Topic as text, invalid UTF-8 bytes as U+FFFD each (services.md §0.3). */
  readonly topic: string;
  /** Payload as text, likewise. */
  readonly data: string;
  /** Payload length. */
  readonly bytes: number;
  /** The topic exactly as received, for the text line `[<topic>] <payload>` written as raw bytes. */
  readonly rawTopic: Uint8Array;
  /** The payload exactly as received. */
  readonly payload: Uint8Array;
}

/** Options of {@linkcode subscribe}. */
export interface SubscribeOptions {
  /** Stop after this many events; 0 (default) means no limit. */
  count?: number;
  /** Aborting (the CLI's `--timeout`) ends the subscription with `end: "aborted"`. */
  signal?: AbortSignal;
  /** Called for each event as it arrives (text lines and NDJSON are printed live). */
  onEvent?: (event: SubscribedEvent) => void;
  /** Keep the events in the result. Default: when `count` > 0, as only then the CLI prints them all. */
  collect?: boolean;
}

/** How a subscription ended. */
export interface SubscribeResult {
  /** The events, when collected; otherwise empty. */
  readonly events: SubscribedEvent[];
  /** Events received. */
  readonly received: number;
  /** `count` reached, signal aborted, or the stream failed (`error` says how). */
  readonly end: "count" | "aborted" | "error";
  /** For `end: "error"`: `EOF` (closed between events), `unexpected EOF` (inside one), or the cause. */
  readonly error?: string;
}

const ENCODER = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * Subscribes on `conn` (dialled to port 1002) and reads events until `count`, abort or a stream error;
 * closes `conn` at the end. Only the subscription write rejects, with `service_subscribe_failed` (the
 * CLI's `cannot subscribe on <addr> ...`); an oversized topic rejects with `invalid_argument` before
 * anything is sent.
 *
 * @example
 * ```ts
 * import { EventBroker, publish, serveEventStream, subscribe } from "./mod.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const subscribed = Promise.withResolvers<void>();
 * const broker = new EventBroker({ hooks: { onSubscribed: () => subscribed.resolve() } });
 * const served = serveEventStream(listener, { broker });
 * const dial = () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const result = subscribe(await dial(), "status", { count: 1 });
 * await subscribed.promise;
 * await publish(await dial(), "status", "online");
 * if ((await result).events[0]?.data !== "online") throw new Error("delivered");
 * listener.close();
 * await served;
 * ```
 */
export async function subscribe(
  conn: ServiceConn,
  topic: string | Uint8Array,
  options: SubscribeOptions = {},
): Promise<SubscribeResult> {
  const count = options.count ?? 0;
  const collect = options.collect ?? count > 0;
  const { signal, onEvent } = options;
  try {
    const topicBytes = topicToBytes(topic);
    await writeOnce(
      conn,
      encodeEvent({ topic: topicBytes, payload: EMPTY }),
      "service_subscribe_failed",
      "subscribe",
    );
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
  const events: SubscribedEvent[] = [];
  let received = 0;
  const reader = conn.readable.pipeThrough(new EventDecoderStream()).getReader();
  const onAbort = () => closeQuietly(conn);
  signal?.addEventListener("abort", onAbort, { once: true });
  const finish = (end: SubscribeResult["end"], error?: string): SubscribeResult =>
    error === undefined ? { events, received, end } : { events, received, end, error };
  try {
    while (count <= 0 || received < count) {
      if (signal?.aborted) return finish("aborted");
      let next: ReadableStreamReadResult<{ topic: Uint8Array; payload: Uint8Array }>;
      try {
        next = await reader.read();
      } catch (err) {
        if (signal?.aborted) return finish("aborted");
        return finish("error", readErrorText(err));
      }
      if (next.done) return finish("error", "EOF");
      const { topic: rawTopic, payload } = next.value;
      const event: SubscribedEvent = {
        topic: decodeUtf8PerByte(rawTopic),
        data: decodeUtf8PerByte(payload),
        bytes: payload.byteLength,
        rawTopic,
        payload,
      };
      received++;
      if (collect) events.push(event);
      onEvent?.(event);
    }
    return finish("count");
  } finally {
    signal?.removeEventListener("abort", onAbort);
    closeQuietly(conn);
    await reader.cancel().catch(() => {
      // The read side already failed or was closed by us: nothing is left to release.
    });
  }
}

/** What {@linkcode publish} reports: the CLI's `{target, topic, bytes}` without the target. */
export interface PublishResult {
  readonly topic: string;
  readonly bytes: number;
}

/**
 * Publishes one event on `conn` (dialled to port 1002) the way the reference CLI does: the subscription
 * event `(topic, "")`, then `(topic, data)`, then close; no acknowledgement exists, so success means
 * written. Rejects with `service_subscribe_failed` when the first write fails (the CLI's
 * `cannot connect to <addr> ...`), `connection_failed` `publish failed: <err>` when the second does,
 * and `invalid_argument` for a topic or payload past the readers' limits, before sending anything.
 */
export async function publish(
  conn: ServiceConn,
  topic: string | Uint8Array,
  data: string | Uint8Array,
): Promise<PublishResult> {
  try {
    const topicBytes = topicToBytes(topic);
    const payload = typeof data === "string" ? ENCODER.encode(data) : data;
    if (payload.byteLength > MAX_EVENT_PAYLOAD_BYTES) {
      throw new PilotError(
        "invalid_argument",
        `payload of ${payload.byteLength} bytes exceeds ${MAX_EVENT_PAYLOAD_BYTES}`,
        { hint: `keep each payload at or under ${MAX_EVENT_PAYLOAD_BYTES} bytes` },
      );
    }
    await writeOnce(
      conn,
      encodeEvent({ topic: topicBytes, payload: EMPTY }),
      "service_subscribe_failed",
      "subscribe",
    );
    await writeOnce(conn, encodeEvent({ topic: topicBytes, payload }), "connection_failed", "publish failed");
    return { topic: decodeUtf8PerByte(topicBytes), bytes: payload.byteLength };
  } finally {
    closeQuietly(conn);
  }
}

function topicToBytes(topic: string | Uint8Array): Uint8Array {
  const bytes = typeof topic === "string" ? ENCODER.encode(topic) : topic;
  // The reference writes any topic and lets the broker's reader refuse it; refusing here says why.
  if (bytes.byteLength > MAX_TOPIC_BYTES) {
    throw new PilotError(
      "invalid_argument",
      `topic of ${bytes.byteLength} bytes exceeds ${MAX_TOPIC_BYTES}`,
      {
        hint: `keep topics at or under ${MAX_TOPIC_BYTES} bytes`,
      },
    );
  }
  return bytes;
}

async function writeOnce(
  conn: ServiceConn,
  bytes: Uint8Array,
  code: "service_subscribe_failed" | "connection_failed",
  what: string,
): Promise<void> {
  const writer = conn.writable.getWriter();
  try {
    await writer.write(bytes);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new PilotError(code, `${what}: ${detail}`, { cause: err });
  } finally {
    writer.releaseLock();
  }
}

function readErrorText(err: unknown): string {
  if (isPilotError(err, "service_event_truncated")) return "unexpected EOF";
  return err instanceof Error ? err.message : String(err);
}
