/**
 * The bounded queue between the broker and one subscriber's connection. The broker only ever calls
 * {@linkcode SubscriberQueue.offer}, which never waits, so a subscriber that stops reading cannot stall
 * the broker or other subscribers (the reference writes synchronously and can, §5.4). A separate drain
 * loop writes queued frames to the connection, several per write when they are small.
 *
 * Bound: at most `maxEvents` frames and `maxBytes` bytes are held, counting the write in progress; an
 * empty queue still takes one frame of any size, so a 16 MiB event reaches an idle subscriber. Frames
 * are shared, never copied: every subscriber's queue holds the same encoded buffer.
 *
 * Drain a queue one way only: one {@linkcode SubscriberQueue.run} onto a connection, or
 * {@linkcode SubscriberQueue.takeAll} for an in-process consumer that polls.
 *
 * @module
 */

import { SUBSCRIBER_QUEUE_BYTES, SUBSCRIBER_QUEUE_EVENTS } from "./constants.ts";

/** Options of {@linkcode SubscriberQueue}. */
export interface SubscriberQueueOptions {
  /** Frames held at most. Default {@linkcode SUBSCRIBER_QUEUE_EVENTS}. */
  maxEvents?: number;
  /** Bytes held at most (past one frame). Default {@linkcode SUBSCRIBER_QUEUE_BYTES}. */
  maxBytes?: number;
}

// Small frames are joined into one write up to this size, to spend one write per burst, not per event.
const BATCH_BYTES = 65_536;

/** One subscriber's outbound frames. */
export class SubscriberQueue {
  readonly #maxEvents: number;
  readonly #maxBytes: number;
  #frames: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #dropped = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  /** An empty, open queue. */
  constructor(options: SubscriberQueueOptions = {}) {
    this.#maxEvents = options.maxEvents ?? SUBSCRIBER_QUEUE_EVENTS;
    this.#maxBytes = options.maxBytes ?? SUBSCRIBER_QUEUE_BYTES;
  }

  /** Frames held, the one being written included. */
  get queuedEvents(): number {
    return this.#frames.length - this.#head;
  }

  /** Bytes held, the write in progress included. */
  get queuedBytes(): number {
    return this.#bytes;
  }

  /** Frames refused because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** True once {@linkcode close} ran. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Queues `frame` unless the queue is full or closed; returns whether it was queued. A refusal on a
   * full queue counts as a drop. Never waits.
   */
  offer(frame: Uint8Array): boolean {
    if (this.#closed) return false;
    const held = this.queuedEvents;
    if (held > 0 && (held >= this.#maxEvents || this.#bytes + frame.byteLength > this.#maxBytes)) {
      this.#dropped++;
      return false;
    }
    this.#frames.push(frame);
    this.#bytes += frame.byteLength;
    this.#wake?.();
    return true;
  }

  /** Stops the drain after its current write; queued frames are discarded. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#frames = [];
    this.#head = 0;
    this.#bytes = 0;
    this.#wake?.();
  }

  /** Removes and returns every queued frame, oldest first (for consumers that do not use `run`). */
  takeAll(): Uint8Array[] {
    const frames = this.#frames.slice(this.#head);
    this.#frames = [];
    this.#head = 0;
    this.#bytes = 0;
    return frames;
  }

  /**
   * Writes frames to `writer` in order until {@linkcode close}. Rejects with the write's error (the
   * caller then drops the subscriber); resolves after `close()`.
   */
  async run(writer: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
    while (!this.#closed) {
      if (this.queuedEvents === 0) {
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = undefined;
        continue;
      }
      const { bytes, count } = this.#batch();
      await writer.write(bytes);
      if (this.#closed) return;
      this.#release(count, bytes.byteLength);
    }
  }

  // Joins the frames at the head into one buffer of up to BATCH_BYTES (a larger first frame goes alone,
  // uncopied); they stay queued, and counted, until the write completes.
  #batch(): { bytes: Uint8Array; count: number } {
    const first = this.#frames[this.#head];
    let size = first.byteLength;
    let count = 1;
    while (this.#head + count < this.#frames.length) {
      const next = this.#frames[this.#head + count].byteLength;
      if (size + next > BATCH_BYTES) break;
      size += next;
      count++;
    }
    if (count === 1) return { bytes: first, count };
    const bytes = new Uint8Array(size);
    for (let i = 0, offset = 0; i < count; i++) {
      const frame = this.#frames[this.#head + i];
      bytes.set(frame, offset);
      offset += frame.byteLength;
    }
    return { bytes, count };
  }

  #release(count: number, size: number): void {
    this.#head += count;
    this.#bytes -= size;
    // Compact now and then: shifting on every write would be quadratic in the queue length.
    if (this.#head >= 256 && this.#head * 2 >= this.#frames.length) {
      this.#frames = this.#frames.slice(this.#head);
      this.#head = 0;
    }
  }
}
