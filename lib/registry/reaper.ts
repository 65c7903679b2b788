/**
 * The maintenance tick of control.md §3.11: stale nodes are removed like a deregistration, old beacons
 * and idle rate-limit buckets dropped. Periods are options so tests run it in milliseconds.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { RegistryStore } from "./store.ts";

/** Options of {@linkcode Reaper}. */
export interface ReaperOptions {
  store: RegistryStore;
  rateLimiter: RateLimiter;
  log: Logger;
  intervalMs: number;
  staleNodeMs: number;
  beaconTtlMs: number;
  now: () => number;
}

/** Runs the tick on a timer until stopped. */
export class Reaper {
  readonly #options: ReaperOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: ReaperOptions) {
    this.#options = options;
  }

  /** Arms the first tick. */
  start(): void {
    this.#arm();
  }

  #arm(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.tick().then(() => {}, (err) => {
        this.#options.log.warn("maintenance tick failed", { error: String(err) });
      }).finally(() => {
        this.#running = undefined;
        this.#arm();
      });
    }, this.#options.intervalMs);
  }

  /** One maintenance pass; returns the ids of reaped nodes. */
  async tick(): Promise<number[]> {
    const { store, rateLimiter, log, staleNodeMs, beaconTtlMs, now } = this.#options;
    const nowMs = now();
    const staleBefore = nowMs - staleNodeMs;
    const reaped: number[] = [];
    for (const id of await store.staleNodeIds(staleBefore)) {
      if (this.#stopped) break;
      if (await store.removeNode(id, staleBefore)) {
        reaped.push(id);
        log.info("node reaped", { node_id: id });
      }
    }
    await store.beacons.prune(nowMs - beaconTtlMs);
    rateLimiter.prune(nowMs);
    return reaped;
  }

  /** Cancels the timer and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
