/**
 * The registry's TCP server (control.md §3.1, §3.2): one task per connection, requests on a connection
 * answered strictly in order, an idle deadline re-armed before each request, and bad input handled as
 * §3.1's table says (oversize or non-object JSON closes; everything else gets an error reply). One bad
 * client never stops the others. Message meaning lives in the handlers; state in the store.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { readableOf } from "./_conn.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import {
  BEACON_TTL_MS,
  IDLE_TIMEOUT_MS,
  MAINTENANCE_TICK_MS,
  MAX_FRAME_BODY,
  STALE_NODE_MS,
} from "./constants.ts";
import { dispatch } from "./dispatch.ts";
import type { HandlerContext } from "./handler.ts";
import { encodeRegistryFrame, parseRegistryMessage, RegistryFrameDecoderStream } from "./messages.ts";
import { RegistryMetrics } from "./metrics.ts";
import { RateLimiter, type RateLimiterOptions } from "./rate_limit.ts";
import { Reaper } from "./reaper.ts";
import type { RegistryStore } from "./store.ts";

/** Options of {@linkcode RegistryServer}. */
export interface RegistryServerOptions {
  /** Interface to bind; default all (`0.0.0.0`). */
  hostname?: string;
  /** TCP port; default 9000, 0 picks a free one. */
  port?: number;
  logger?: Logger;
  /** §3.2 idle deadline per connection. */
  idleTimeoutMs?: number;
  /** §3.11 maintenance period. */
  maintenanceIntervalMs?: number;
  /** §3.11 age after which a silent node is reaped. */
  staleNodeMs?: number;
  /** §3.7.18 beacon entry lifetime. */
  beaconTtlMs?: number;
  rateLimit?: RateLimiterOptions;
  /** Wall clock in ms; default `Date.now`. */
  now?: () => number;
}

const ACCEPT_GIVE_UP = 10;

/** A running registry server on one TCP listener. */
export class RegistryServer implements AsyncDisposable {
  readonly store: RegistryStore;
  readonly metrics: RegistryMetrics;
  readonly rateLimiter: RateLimiter;
  readonly #options: RegistryServerOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  readonly #conns = new Set<Deno.TcpConn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #reaper: Reaper;
  #listener: Deno.TcpListener | undefined;
  #acceptLoop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(store: RegistryStore, options: RegistryServerOptions = {}) {
    this.store = store;
    this.#options = options;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#now = options.now ?? Date.now;
    this.metrics = new RegistryMetrics(this.#now());
    this.rateLimiter = new RateLimiter(options.rateLimit);
    this.#reaper = new Reaper({
      store,
      rateLimiter: this.rateLimiter,
      log: this.#log,
      intervalMs: options.maintenanceIntervalMs ?? MAINTENANCE_TICK_MS,
      staleNodeMs: this.staleNodeMs,
      beaconTtlMs: options.beaconTtlMs ?? BEACON_TTL_MS,
      now: this.#now,
    });
  }

  /** Age after which a node counts as offline and is reaped. */
  get staleNodeMs(): number {
    return this.#options.staleNodeMs ?? STALE_NODE_MS;
  }

  /** The bound address (after {@linkcode start}). */
  get addr(): Deno.NetAddr {
    if (this.#listener === undefined) throw new Error("registry server is not started");
    return this.#listener.addr;
  }

  /** Binds the listener and starts accepting and the maintenance tick. */
  start(): Promise<void> {
    if (this.#listener !== undefined) throw new Error("registry server already started");
    try {
      this.#listener = Deno.listen({
        hostname: this.#options.hostname ?? "0.0.0.0",
        port: this.#options.port ?? 9000,
        transport: "tcp",
      });
    } catch (err) {
      throw new PilotError("registry_listen", `listen: ${String(err)}`, { cause: err });
    }
    this.#acceptLoop = this.#accept(this.#listener);
    this.#reaper.start();
    return Promise.resolve();
  }

  /** Runs one maintenance pass now (tests, and operators wanting an immediate reap). */
  maintain(): Promise<number[]> {
    return this.#reaper.tick();
  }

  async #accept(listener: Deno.TcpListener): Promise<void> {
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
        failures = 0;
      } catch (err) {
        if (this.#abort.signal.aborted || err instanceof Deno.errors.BadResource) return;
        failures++;
        this.#log.warn("registry accept failed", { error: String(err), failures });
        if (failures >= ACCEPT_GIVE_UP) {
          this.#log.error("registry giving up after repeated accept failures", { failures });
          return;
        }
        // §3.2: back off 100 ms × n, capped at 2 s.
        await abortableDelay(Math.min(100 * failures, 2000), this.#abort.signal);
        continue;
      }
      this.#conns.add(conn);
      const task = this.#serve(conn).finally(() => {
        this.#conns.delete(conn);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const remote = conn.remoteAddr;
    const log = this.#log.child({ remote: `${remote.hostname}:${remote.port}` });
    const ctx: HandlerContext = {
      store: this.store,
      remote,
      now: this.#now,
      log,
      rateLimiter: this.rateLimiter,
      metrics: this.metrics,
      beaconTtlMs: this.#options.beaconTtlMs ?? BEACON_TTL_MS,
    };
    const idleMs = this.#options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
    const reader = readableOf(conn).pipeThrough(new RegistryFrameDecoderStream({ maxBody: MAX_FRAME_BODY }))
      .getReader();
    let idle = false;
    try {
      while (!this.#abort.signal.aborted) {
        // §3.2: the deadline is re-armed before each request; closing the socket ends the pending read.
        const timer = setTimeout(() => {
          idle = true;
          closeQuietly(conn);
        }, idleMs);
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } finally {
          clearTimeout(timer);
        }
        if (next.done) break;
        const message = parseRegistryMessage(next.value); // throws on bad JSON: the connection closes
        const { reply, close } = await dispatch(message, ctx);
        await writeAll(conn, encodeRegistryFrame(reply));
        if (close) break;
      }
    } catch (err) {
      const reason = idle ? "idle timeout" : err instanceof PilotError ? err.message : String(err);
      log.debug("registry connection closed", { reason });
    } finally {
      closeQuietly(conn);
      await reader.cancel().catch(() => {
        // The stream already failed with the error logged above; nothing more to release.
      });
    }
  }

  /** Stops accepting, closes every connection, waits for their tasks and the maintenance tick. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort();
      try {
        this.#listener?.close();
      } catch {
        // Already closed by a failed accept loop: nothing left to release.
      }
      for (const conn of this.#conns) closeQuietly(conn);
      await this.#acceptLoop;
      await Promise.allSettled([...this.#tasks]);
      await this.#reaper.stop();
    })();
    return this.#closing;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) offset += await conn.write(bytes.subarray(offset));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Closed already (by the idle timer, the peer or server shutdown): nothing to release.
  }
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
