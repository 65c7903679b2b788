/**
 * The event frame (services.md §5.1) as a stream codec: bytes in, {@linkcode PubSubEvent}s out, for
 * input split at any byte. Only carry-over state is kept; each declared length is checked against the
 * limits before anything is read or allocated for it, and a payload buffer grows as its bytes arrive
 * (doubling from 64 KiB), so a peer that declares 16 MiB and stops costs 64 KiB, not 16 MiB.
 *
 * A limit violation errors the stream with its code; input ending inside an event errors it with
 * `service_event_truncated` (the reference's "unexpected EOF"); input ending between events closes it.
 *
 * @module
 */

import { INITIAL_PAYLOAD_BUFFER_BYTES, PAYLOAD_LENGTH_SIZE, TOPIC_LENGTH_SIZE } from "./constants.ts";
import { checkPayloadLength, checkTopicLength, type EventLimits, type PubSubEvent } from "./event.ts";
import { PilotError } from "../../errors.ts";

/** Options of {@linkcode EventDecoderStream}: the reader limits, spec values by default. */
export type EventDecoderOptions = EventLimits;

type Phase = "topic-length" | "topic" | "payload-length" | "payload";

const EMPTY = new Uint8Array(0);

/**
 * Decodes a byte stream into events.
 *
 * @example
 * ```ts
 * import { EventDecoderStream } from "./event_decoder_stream.ts";
 * const wire = Uint8Array.fromHex("0006737461747573000000026f6b");
 * const events = await Array.fromAsync(ReadableStream.from([wire.subarray(0, 3), wire.subarray(3)])
 *   .pipeThrough(new EventDecoderStream()));
 * if (events.length !== 1 || events[0].payload.byteLength !== 2) throw new Error("one event");
 * ```
 */
export class EventDecoderStream extends TransformStream<Uint8Array, PubSubEvent> {
  #phase: Phase = "topic-length";
  // Holds a length field while it is split across chunks: 4 bytes fit either field.
  #field = new Uint8Array(PAYLOAD_LENGTH_SIZE);
  #fieldFilled = 0;
  #topic: Uint8Array = EMPTY;
  #topicFilled = 0;
  #payloadLength = 0;
  #payload: Uint8Array = EMPTY;
  #payloadFilled = 0;

  /** Builds a decoder with the given limits. */
  constructor(options: EventDecoderOptions = {}) {
    super({
      transform: (chunk, controller) => this.#feed(chunk, options, (event) => controller.enqueue(event)),
      flush: () => {
        if (this.#phase !== "topic-length" || this.#fieldFilled > 0) {
          throw new PilotError("service_event_truncated", `stream ended inside an event (${this.#phase})`);
        }
      },
    });
  }

  #feed(chunk: Uint8Array, limits: EventLimits, emit: (event: PubSubEvent) => void): void {
    let offset = 0;
    // Every pass either consumes at least one byte or completes a phase whose length is zero, and a
    // zero-length phase always moves on to one that needs bytes, so the loop is bounded by the chunk.
    while (offset < chunk.byteLength || this.#isEmptyPhaseReady()) {
      switch (this.#phase) {
        case "topic-length": {
          offset += this.#fillField(chunk, offset, TOPIC_LENGTH_SIZE);
          if (this.#fieldFilled < TOPIC_LENGTH_SIZE) return;
          const length = (this.#field[0] << 8) | this.#field[1];
          checkTopicLength(length, limits.maxTopicBytes);
          this.#fieldFilled = 0;
          this.#topic = length === 0 ? EMPTY : new Uint8Array(length);
          this.#topicFilled = 0;
          this.#phase = "topic";
          break;
        }
        case "topic": {
          const n = copyInto(this.#topic, this.#topicFilled, chunk, offset);
          this.#topicFilled += n;
          offset += n;
          if (this.#topicFilled < this.#topic.byteLength) return;
          this.#phase = "payload-length";
          break;
        }
        case "payload-length": {
          offset += this.#fillField(chunk, offset, PAYLOAD_LENGTH_SIZE);
          if (this.#fieldFilled < PAYLOAD_LENGTH_SIZE) return;
          const f = this.#field;
          const length = ((f[0] << 24) >>> 0) + (f[1] << 16) + (f[2] << 8) + f[3];
          checkPayloadLength(length, limits.maxPayloadBytes);
          this.#fieldFilled = 0;
          this.#payloadLength = length;
          this.#payload = length === 0
            ? EMPTY
            : new Uint8Array(Math.min(length, INITIAL_PAYLOAD_BUFFER_BYTES));
          this.#payloadFilled = 0;
          this.#phase = "payload";
          break;
        }
        case "payload": {
          if (this.#payloadFilled === this.#payload.byteLength && this.#payloadFilled < this.#payloadLength) {
            this.#growPayload();
          }
          const n = copyInto(this.#payload, this.#payloadFilled, chunk, offset);
          this.#payloadFilled += n;
          offset += n;
          if (this.#payloadFilled < this.#payloadLength) break; // grow, or wait for the next chunk
          emit({ topic: this.#topic, payload: this.#payload });
          this.#topic = EMPTY;
          this.#payload = EMPTY;
          this.#phase = "topic-length";
          break;
        }
        default: {
          const unreachable: never = this.#phase;
          throw new Error(`unknown phase ${unreachable}`);
        }
      }
    }
  }

  // A topic or payload of length zero completes without input; without this the last event of a
  // chunk with an empty payload would wait for the next chunk (or be lost at the end).
  #isEmptyPhaseReady(): boolean {
    return (this.#phase === "topic" && this.#topic.byteLength === 0) ||
      (this.#phase === "payload" && this.#payloadLength === 0);
  }

  #fillField(chunk: Uint8Array, offset: number, size: number): number {
    const n = copyInto(this.#field.subarray(0, size), this.#fieldFilled, chunk, offset);
    this.#fieldFilled += n;
    return n;
  }

  #growPayload(): void {
    const bigger = new Uint8Array(Math.min(this.#payloadLength, this.#payload.byteLength * 2));
    bigger.set(this.#payload);
    this.#payload = bigger;
  }
}

function copyInto(target: Uint8Array, filled: number, source: Uint8Array, offset: number): number {
  const n = Math.min(target.byteLength - filled, source.byteLength - offset);
  if (n > 0) target.set(source.subarray(offset, offset + n), filled);
  return n;
}
