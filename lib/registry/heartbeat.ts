/**
 * The daemon's heartbeat loop (control.md §4.4): a heartbeat every interval; after a success the caller's
 * follow-up (beacon re-announce, `poll_handshakes`); after 3 consecutive failures a re-registration, with
 * the failure count reset whether or not it worked. A tick that fires while the previous one is still
 * blocked is remembered once, so two heartbeats may go out back to back, as in the reference.
 *
 * @module
 */

import { type Logger, NULL_LOGGER } from "../log.ts";
import type { RegistryClient } from "./client.ts";
import { heartbeat, type RegisterReply } from "./client_calls.ts";
import { HEARTBEAT_FAILURES_BEFORE_REREGISTER, HEARTBEAT_INTERVAL_MS } from "./constants.ts";

/** What the loop reports after each step (tests wait on these; the daemon may forward them). */
export type HeartbeatEvent =
  | { kind: "heartbeat_ok"; nodeId: number; time: number }
  | { kind: "heartbeat_failed"; nodeId: number; failures: number; error: string }
  | { kind: "reregistered"; nodeId: number; previousNodeId: number }
  | { kind: "reregister_failed"; error: string };

/** Options of {@linkcode HeartbeatLoop}. */
export interface HeartbeatLoopOptions {
  client: RegistryClient;
  /** The node id from the start-up registration. */
  nodeId: number;
  intervalMs?: number;
  failuresBeforeReRegister?: number;
  /** Sends the re-registration `register` (same key and owner; §4.4 steps 1–2) and returns its reply. */
  reRegister: (signal: AbortSignal) => Promise<RegisterReply>;
  /** Runs after each successful heartbeat; a failure is logged and does not count as a heartbeat failure. */
  onHeartbeat?: (nodeId: number) => Promise<void>;
  /** Runs after a re-registration (§4.4 steps 4–7: webhook, visibility, hostname, trust, beacon). */
  onReRegistered?: (reply: RegisterReply, previousNodeId: number) => Promise<void>;
  onEvent?: (event: HeartbeatEvent) => void;
  /** Per-heartbeat deadline; default none, as in the reference. */
  requestTimeoutMs?: number;
  logger?: Logger;
}

/** Runs heartbeats until stopped. */
export class HeartbeatLoop implements AsyncDisposable {
  readonly #options: HeartbeatLoopOptions;
  readonly #log: Logger;
  #nodeId: number;
  #failures = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #pending = false;
  #stopped = false;
  readonly #abort = new AbortController();

  constructor(options: HeartbeatLoopOptions) {
    this.#options = options;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#nodeId = options.nodeId;
  }

  /** The current node id (changes when a re-registration hands out a new one). */
  get nodeId(): number {
    return this.#nodeId;
  }

  /** Arms the interval timer; the first heartbeat goes out one interval from now. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setInterval(() => this.#onTick(), this.#options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  }

  #onTick(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#pending = true; // at most one remembered tick, like a ticker channel of one
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  async #drain(): Promise<void> {
    do {
      this.#pending = false;
      await this.tick();
    } while (this.#pending && !this.#stopped);
  }

  /** One heartbeat round (exposed for tests and for a daemon that wants an immediate beat). */
  async tick(): Promise<void> {
    const { client, onHeartbeat } = this.#options;
    const nodeId = this.#nodeId;
    let time: number;
    try {
      time = await heartbeat(client, nodeId, {
        signal: this.#abort.signal,
        timeoutMs: this.#options.requestTimeoutMs,
      });
    } catch (err) {
      if (this.#stopped) return;
      this.#failures++;
      const error = err instanceof Error ? err.message : String(err);
      this.#log.warn("heartbeat failed", { node_id: nodeId, failures: this.#failures, error });
      this.#emit({ kind: "heartbeat_failed", nodeId, failures: this.#failures, error });
      if (
        this.#failures >= (this.#options.failuresBeforeReRegister ?? HEARTBEAT_FAILURES_BEFORE_REREGISTER)
      ) {
        await this.#reRegister();
        this.#failures = 0; // reset even when the re-registration failed (§4.4)
      }
      return;
    }
    if (this.#failures > 0) {
      this.#log.info("heartbeat recovered", { node_id: nodeId, failures: this.#failures });
    }
    this.#failures = 0;
    this.#emit({ kind: "heartbeat_ok", nodeId, time });
    if (onHeartbeat !== undefined) {
      try {
        await onHeartbeat(nodeId);
      } catch (err) {
        this.#log.warn("post-heartbeat step failed", { node_id: nodeId, error: String(err) });
      }
    }
  }

  async #reRegister(): Promise<void> {
    const previous = this.#nodeId;
    this.#log.info("attempting re-registration", { node_id: previous });
    let reply: RegisterReply;
    try {
      reply = await this.#options.reRegister(this.#abort.signal);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.#log.warn("re-registration failed", { node_id: previous, error });
      this.#emit({ kind: "reregister_failed", error });
      return;
    }
    if (reply.nodeId !== previous) {
      this.#log.warn("re-registered with new node ID", {
        old_node_id: previous,
        node_id: reply.nodeId,
        addr: reply.address,
      });
      this.#nodeId = reply.nodeId;
    } else {
      this.#log.info("re-registered", { node_id: reply.nodeId });
    }
    this.#emit({ kind: "reregistered", nodeId: reply.nodeId, previousNodeId: previous });
    if (this.#options.onReRegistered !== undefined) {
      try {
        await this.#options.onReRegistered(reply, previous);
      } catch (err) {
        this.#log.warn("re-registration follow-up failed", { node_id: reply.nodeId, error: String(err) });
      }
    }
  }

  #emit(event: HeartbeatEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch (err) {
      this.#log.warn("heartbeat event handler failed", { error: String(err) });
    }
  }

  /** Stops the timer, cuts a blocked heartbeat short and waits for the round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#abort.abort(new DOMException("heartbeat loop stopped", "AbortError"));
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** Same as {@linkcode stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
