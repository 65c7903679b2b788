/**
 * Registry framing (control.md §3.1): a u32 big-endian body length, then a UTF-8 JSON object. Holds the
 * pure encode/decode pair, the stream decoder used on sockets, and the step from body bytes to a message
 * object. Field meaning is left to `fields.ts` and the handlers.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { FRAME_PREFIX_SIZE, MAX_FRAME_BODY } from "./constants.ts";
import { encodeJson, type JsonValue } from "./json.ts";

/** A decoded registry message: a JSON object whose members are still unchecked. */
export type RegistryMessage = Readonly<Record<string, unknown>>;

/** An object to send: members in any order (they are written sorted), `undefined` ones left out. */
export type RegistryObject = { readonly [key: string]: JsonValue | undefined };

const encoder = new TextEncoder();
// Not fatal: the reference's JSON reader replaces invalid UTF-8 instead of refusing it.
const decoder = new TextDecoder();

/**
 * Encodes one frame: length prefix plus the reference's JSON layout (sorted keys, no whitespace).
 *
 * @example
 * ```ts
 * import { encodeRegistryFrame } from "./messages.ts";
 * const frame = encodeRegistryFrame({ type: "resolve_hostname", hostname: "beta" });
 * if (frame.byteLength !== 49 || frame[3] !== 0x2d) throw new Error("control.md §12.1");
 * ```
 */
export function encodeRegistryFrame(message: RegistryObject, maxBody: number = MAX_FRAME_BODY): Uint8Array {
  const body = encoder.encode(encodeJson(message));
  if (body.byteLength > maxBody) {
    throw new PilotError(
      "frame_too_large",
      `registry frame body is ${body.byteLength} bytes, limit is ${maxBody}`,
    );
  }
  const frame = new Uint8Array(FRAME_PREFIX_SIZE + body.byteLength);
  new DataView(frame.buffer).setUint32(0, body.byteLength);
  frame.set(body, FRAME_PREFIX_SIZE);
  return frame;
}

/** Reads the declared body length of a frame from its first 4 bytes. */
export function decodeRegistryFramePrefix(bytes: Uint8Array): { length: number } {
  if (bytes.byteLength < FRAME_PREFIX_SIZE) {
    throw new PilotError("frame_truncated", `registry frame prefix needs 4 bytes, got ${bytes.byteLength}`);
  }
  return { length: new DataView(bytes.buffer, bytes.byteOffset, FRAME_PREFIX_SIZE).getUint32(0) };
}

/**
 * Parses a frame body. `null` counts as an empty object (§3.1: it then fails as an unknown type); any other
 * non-object, or text that is not JSON, is refused with `registry_bad_json` (the server then closes).
 */
export function parseRegistryMessage(body: Uint8Array): RegistryMessage {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch (err) {
    throw new PilotError("registry_bad_json", `registry frame body is not JSON (${body.byteLength} bytes)`, {
      cause: err,
    });
  }
  if (value === null) return {};
  if (!isRecord(value)) {
    const kind = Array.isArray(value) ? "array" : typeof value;
    throw new PilotError("registry_bad_json", `registry frame body is a JSON ${kind}, not an object`);
  }
  return value;
}

/** True for a JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Decodes one whole frame (prefix and body, nothing after it) into a message. */
export function decodeRegistryFrame(bytes: Uint8Array, maxBody: number = MAX_FRAME_BODY): RegistryMessage {
  const { length } = decodeRegistryFramePrefix(bytes);
  if (length > maxBody) {
    throw new PilotError("frame_too_large", `registry frame declares ${length} bytes, limit is ${maxBody}`);
  }
  if (bytes.byteLength - FRAME_PREFIX_SIZE < length) {
    throw new PilotError(
      "frame_truncated",
      `registry frame declares ${length} bytes, has ${bytes.byteLength - FRAME_PREFIX_SIZE}`,
    );
  }
  return parseRegistryMessage(bytes.subarray(FRAME_PREFIX_SIZE, FRAME_PREFIX_SIZE + length));
}

/** Options of {@linkcode RegistryFrameDecoderStream}. */
export interface RegistryFrameDecoderOptions {
  /** Largest accepted body; defaults to 1 MiB (§3.1). */
  maxBody?: number;
}

/**
 * Splits a byte stream into frame bodies. Survives frames split at any byte; refuses an oversized declared
 * length before allocating (`frame_too_large`) and a stream that ends inside a frame (`frame_truncated`).
 */
export class RegistryFrameDecoderStream extends TransformStream<Uint8Array, Uint8Array> {
  #prefix = new Uint8Array(FRAME_PREFIX_SIZE);
  #prefixFilled = 0;
  #body: Uint8Array | null = null;
  #bodyFilled = 0;

  constructor(options: RegistryFrameDecoderOptions = {}) {
    const maxBody = options.maxBody ?? MAX_FRAME_BODY;
    super({
      transform: (chunk, controller) => {
        let offset = 0;
        while (offset < chunk.byteLength) {
          if (this.#body === null) {
            const n = copyInto(this.#prefix, this.#prefixFilled, chunk, offset);
            this.#prefixFilled += n;
            offset += n;
            if (this.#prefixFilled < FRAME_PREFIX_SIZE) return;
            const { length } = decodeRegistryFramePrefix(this.#prefix);
            if (length > maxBody) { // before allocating: a peer must not make us reserve 4 GiB
              throw new PilotError(
                "frame_too_large",
                `registry frame declares ${length} bytes, limit is ${maxBody}`,
                {
                  hint: `keep each message at or under ${maxBody} bytes`,
                },
              );
            }
            this.#body = new Uint8Array(length);
            this.#bodyFilled = 0;
            this.#prefixFilled = 0;
          }
          const n = copyInto(this.#body, this.#bodyFilled, chunk, offset);
          this.#bodyFilled += n;
          offset += n;
          if (this.#bodyFilled === this.#body.byteLength) {
            controller.enqueue(this.#body);
            this.#body = null;
          }
        }
      },
      flush: () => {
        if (this.#body !== null || this.#prefixFilled > 0) {
          throw new PilotError("frame_truncated", "registry stream ended inside a frame");
        }
      },
    });
  }
}

function copyInto(target: Uint8Array, filled: number, chunk: Uint8Array, offset: number): number {
  const n = Math.min(target.byteLength - filled, chunk.byteLength - offset);
  target.set(chunk.subarray(offset, offset + n), filled);
  return n;
}
