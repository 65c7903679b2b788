/**
 * Bulk sealing in send order: a `TransformStream` from plaintext packets to {@linkcode SealedFrame}s that
 * keeps up to `maxInFlight` WebCrypto seals running at once (the fast path measured in aead.ts) and
 * still emits frames strictly in input order, each as soon as it and all before it are done, so an idle
 * sender never holds finished frames back.
 *
 * @module
 */

import type { SealedFrame, TunnelCipher } from "./aead.ts";

/** Default seals in flight: between the measured 16 and 64, which perform alike for 4 KiB segments (aead.ts). */
export const DEFAULT_SEALS_IN_FLIGHT = 32;

/** Options of {@linkcode SealStream}. */
export interface SealStreamOptions {
  /** Seals running at once; the writable side waits when this many are pending. */
  maxInFlight?: number;
}

interface Slot {
  frame?: SealedFrame;
  error?: unknown;
  done: boolean;
}

/**
 * Seals each chunk with `cipher` (counters in chunk order) and emits the frames in that order.
 *
 * @example
 * ```ts
 * import { TunnelCipher } from "./aead.ts";
 * import { SealStream } from "./seal_stream.ts";
 * const cipher = new TunnelCipher(new Uint8Array(32));
 * const packets = ReadableStream.from([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
 * const counters = (await Array.fromAsync(packets.pipeThrough(new SealStream(cipher)))).map((f) => f.counter);
 * if (counters.join() !== "1,2,3") throw new Error("in order");
 * ```
 */
export class SealStream extends TransformStream<Uint8Array, SealedFrame> {
  constructor(cipher: TunnelCipher, options: SealStreamOptions = {}) {
    const maxInFlight = Math.max(1, options.maxInFlight ?? DEFAULT_SEALS_IN_FLIGHT);
    const queue: Slot[] = [];
    let roomFreed: (() => void) | undefined;
    let drained: (() => void) | undefined;
    let failed = false;

    const drain = (controller: TransformStreamDefaultController<SealedFrame>) => {
      for (let head = queue[0]; head?.done === true && !failed; head = queue[0]) {
        queue.shift();
        try {
          if (head.frame === undefined) throw head.error;
          controller.enqueue(head.frame);
        } catch (err) {
          // A failed seal, or a reader that cancelled: either way the stream is over.
          failed = true;
          controller.error(err);
        }
      }
      if (queue.length < maxInFlight || failed) {
        roomFreed?.();
        roomFreed = undefined;
      }
      if (queue.length === 0 || failed) {
        drained?.();
        drained = undefined;
      }
    };

    super({
      transform: (chunk, controller) => {
        const slot: Slot = { done: false };
        queue.push(slot);
        cipher.seal(chunk).then(
          (frame) => slot.frame = frame,
          (error) => slot.error = error ?? new Error("seal failed"),
        ).finally(() => {
          slot.done = true;
          drain(controller);
        });
        if (queue.length < maxInFlight) return;
        return new Promise<void>((resolve) => roomFreed = resolve);
      },
      flush: () => {
        if (queue.length === 0) return;
        return new Promise<void>((resolve) => drained = resolve);
      },
    });
  }
}
