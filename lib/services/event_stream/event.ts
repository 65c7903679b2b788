/**
 * The event frame (services.md §5.1), the same in both directions:
 * `[topic_len u16 BE][topic][payload_len u32 BE][payload]`. A topic is any bytes, empty included, and
 * is kept as bytes: matching is byte-wise (§5.3) and a Go string need not be UTF-8.
 *
 * Pure codec: no I/O. Reader limits (topic ≤ 1024, payload ≤ 16 MiB) are checked on the declared
 * lengths before the body is looked at; the encoder checks only that the lengths fit their fields,
 * as the reference's writers check nothing.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import {
  MAX_EVENT_PAYLOAD_BYTES,
  MAX_TOPIC_BYTES,
  PAYLOAD_LENGTH_SIZE,
  TOPIC_LENGTH_SIZE,
} from "./constants.ts";

/** One event: a subscription (first on a connection), a publication, or a delivery. */
export interface PubSubEvent {
  readonly topic: Uint8Array;
  readonly payload: Uint8Array;
}

/** Reader limits; both default to the spec's. */
export interface EventLimits {
  maxTopicBytes?: number;
  maxPayloadBytes?: number;
}

/** Size of `event` on the wire. */
export function encodedEventSize(event: PubSubEvent): number {
  return TOPIC_LENGTH_SIZE + event.topic.byteLength + PAYLOAD_LENGTH_SIZE + event.payload.byteLength;
}

/**
 * Encodes one event into a single buffer (the reference sends an event in one write).
 *
 * @example
 * ```ts
 * import { encodeEvent } from "./event.ts";
 * const bytes = encodeEvent({ topic: new TextEncoder().encode("status"), payload: new Uint8Array() });
 * if (bytes.toHex() !== "0006737461747573" + "00000000") throw new Error("services.md §13.4");
 * ```
 */
export function encodeEvent(event: PubSubEvent): Uint8Array {
  const { topic, payload } = event;
  if (topic.byteLength > 0xFFFF) {
    throw new PilotError(
      "service_event_topic_too_long",
      `topic of ${topic.byteLength} bytes does not fit u16`,
      {
        hint: `keep topics at or under ${MAX_TOPIC_BYTES} bytes`,
      },
    );
  }
  if (payload.byteLength > 0xFFFF_FFFF) {
    throw new PilotError(
      "service_event_payload_too_large",
      `payload of ${payload.byteLength} bytes does not fit u32`,
    );
  }
  const out = new Uint8Array(encodedEventSize(event));
  const view = new DataView(out.buffer);
  view.setUint16(0, topic.byteLength);
  out.set(topic, TOPIC_LENGTH_SIZE);
  view.setUint32(TOPIC_LENGTH_SIZE + topic.byteLength, payload.byteLength);
  out.set(payload, TOPIC_LENGTH_SIZE + topic.byteLength + PAYLOAD_LENGTH_SIZE);
  return out;
}

/** Throws `service_event_topic_too_long` when a declared topic length is past the reader's limit. */
export function checkTopicLength(length: number, limit: number = MAX_TOPIC_BYTES): void {
  if (length > limit) {
    throw new PilotError("service_event_topic_too_long", `event topic of ${length} bytes exceeds ${limit}`, {
      hint: `keep topics at or under ${limit} bytes`,
    });
  }
}

/** Throws `service_event_payload_too_large` when a declared payload length is past the reader's limit. */
export function checkPayloadLength(length: number, limit: number = MAX_EVENT_PAYLOAD_BYTES): void {
  if (length > limit) {
    throw new PilotError(
      "service_event_payload_too_large",
      `event payload of ${length} bytes exceeds ${limit}`,
      {
        hint: `keep each payload at or under ${limit} bytes`,
      },
    );
  }
}

/** A decoded event and how many bytes of the input it took. */
export interface DecodedEvent {
  readonly event: PubSubEvent;
  readonly byteLength: number;
}

/**
 * Decodes the event at the start of `bytes`; bytes after it are left alone (`byteLength` says where the
 * next one starts). Topic and payload are copies, so `bytes` may be reused. Throws
 * `service_event_truncated` when `bytes` ends inside the event, or a limit code.
 *
 * @example
 * ```ts
 * import { decodeEvent } from "./event.ts";
 * const { event, byteLength } = decodeEvent(Uint8Array.fromHex("00012a00000002" + "6869"));
 * if (byteLength !== 9 || new TextDecoder().decode(event.payload) !== "hi") throw new Error("decoded");
 * ```
 */
export function decodeEvent(bytes: Uint8Array, limits: EventLimits = {}): DecodedEvent {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  needBytes(bytes, TOPIC_LENGTH_SIZE, "topic length");
  const topicLength = view.getUint16(0);
  checkTopicLength(topicLength, limits.maxTopicBytes);
  const payloadLengthAt = TOPIC_LENGTH_SIZE + topicLength;
  needBytes(bytes, payloadLengthAt + PAYLOAD_LENGTH_SIZE, "topic and payload length");
  const payloadLength = view.getUint32(payloadLengthAt);
  checkPayloadLength(payloadLength, limits.maxPayloadBytes);
  const payloadAt = payloadLengthAt + PAYLOAD_LENGTH_SIZE;
  needBytes(bytes, payloadAt + payloadLength, "payload");
  return {
    event: {
      topic: bytes.slice(TOPIC_LENGTH_SIZE, payloadLengthAt),
      payload: bytes.slice(payloadAt, payloadAt + payloadLength),
    },
    byteLength: payloadAt + payloadLength,
  };
}

function needBytes(bytes: Uint8Array, size: number, what: string): void {
  if (bytes.byteLength < size) {
    throw new PilotError(
      "service_event_truncated",
      `event truncated in its ${what}: ${bytes.byteLength} of ${size} bytes`,
    );
  }
}
