/**
 * The task-submit service of one daemon (services.md §6): the accept loop on port 1003, the dispatch of
 * each frame, the per-task locks and the one timer of the receiver's queue. The daemon owns the queue and
 * every state change of the task files; pilotctl reaches it with local requests (`local_request.ts`).
 *
 * A connection may carry several frames (the reference's `send-results` writes two); each is handled in
 * order, up to {@linkcode MAX_FRAMES_PER_CONNECTION}. SUBMIT and local requests get their one reply and
 * end the connection. A malformed, oversized or unknown frame ends only its own connection.
 *
 * @module
 */

import { isPilotError } from "../../errors.ts";
import { type Logger, NULL_LOGGER } from "../../log.ts";
import type { Address } from "../../protocol/address.ts";
import { runAcceptLoop, type ServiceConn, type ServiceListener } from "../_service_types.ts";
import { type PoloScores, taskAddress, type TaskContext, type TaskPeer } from "./_context.ts";
import {
  DEFAULT_ACCEPT_TIMEOUT_MS,
  DEFAULT_EXPIRY_MS,
  FRAME_TYPES,
  MAX_FRAMES_PER_CONNECTION,
  MAX_RESULT_FILE_BYTES,
} from "./constants.ts";
import { TaskFrameReader, writeTaskFrames } from "./frame.ts";
import {
  encodeLocalError,
  encodeLocalResult,
  type LocalRequest,
  parseLocalRequest,
} from "./local_request.ts";
import { accept, cancel, decline, execute, expire, handleSubmit, restore, sendResults } from "./receiver.ts";
import { ReceiverQueue } from "./receiver_queue.ts";
import { handleSendResults, handleStatusUpdate, submit } from "./submitter.ts";
import { TaskStore } from "./task_store.ts";
import { PilotError } from "../../errors.ts";

/** Options of {@linkcode TaskService.start}. */
export interface TaskServiceOptions<C extends ServiceConn> {
  /** The pilot home; task files live in `<home>/tasks/`. */
  home: string;
  /** Our own node. */
  self: () => TaskPeer;
  /** The node at the other end of an accepted connection (from the transport, never from a frame). */
  peerOf: (conn: C) => TaskPeer;
  /** Opens a connection to `address` port 1003. */
  dial: (address: Address) => Promise<ServiceConn>;
  /** The registry's scores; `undefined` accepts every submission (the reference without a registry). */
  scores?: PoloScores;
  /** Accept deadline; default 60 s. */
  acceptTimeoutMs?: number;
  /** Longest wait at the queue's head; default 1 h. */
  expiryMs?: number;
  logger?: Logger;
  /** Wall clock in ms (task files hold UTC times); `Date.now` by default. */
  now?: () => number;
}

/** A running task service. */
export class TaskService<C extends ServiceConn> implements AsyncDisposable {
  readonly store: TaskStore;
  readonly queue: ReceiverQueue;
  #ctx: TaskContext;
  #options: TaskServiceOptions<C>;
  #abort = new AbortController();
  #locks = new Map<string, Promise<unknown>>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerWork: Promise<void> = Promise.resolve();
  #serving: Promise<void> | undefined;
  #closed = false;

  private constructor(options: TaskServiceOptions<C>) {
    this.#options = options;
    this.store = new TaskStore(options.home);
    this.queue = new ReceiverQueue({
      acceptTimeoutMs: options.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS,
      expiryMs: options.expiryMs ?? DEFAULT_EXPIRY_MS,
    });
    const log = options.logger ?? NULL_LOGGER;
    this.#ctx = {
      store: this.store,
      queue: this.queue,
      log,
      scores: options.scores,
      now: options.now ?? Date.now,
      self: options.self,
      dial: options.dial,
      withLock: (key, fn) => this.#withLock(key, fn),
      rearm: () => this.#arm(),
    };
  }

  /** Restores the queue from disk and serves `listener` until {@linkcode close}. */
  static async start<C extends ServiceConn>(
    listener: ServiceListener<C>,
    options: TaskServiceOptions<C>,
  ): Promise<TaskService<C>> {
    const service = new TaskService(options);
    try {
      await restore(service.#ctx);
    } catch (err) {
      listener.close();
      throw err;
    }
    service.#serving = runAcceptLoop(listener, (conn) => service.#handle(conn), {
      service: "tasksubmit",
      logger: service.#ctx.log,
      signal: service.#abort.signal,
    });
    return service;
  }

  /** Runs one local request as the daemon (also what the tests call directly). */
  request(request: LocalRequest): Promise<Record<string, unknown>> {
    const ctx = this.#ctx;
    switch (request.op) {
      case "submit":
        return submit(ctx, taskAddress(request.target, "to"), request.description);
      case "accept":
        return accept(ctx, request.taskId);
      case "decline":
        return decline(ctx, request.taskId, request.justification);
      case "execute":
        return execute(ctx);
      case "send_results":
        if (request.file !== undefined && request.file.data.byteLength > MAX_RESULT_FILE_BYTES) {
          return Promise.reject(
            new PilotError(
              "invalid_argument",
              `file too large for results: ${request.file.data.byteLength} bytes (limit ${MAX_RESULT_FILE_BYTES})`,
            ),
          );
        }
        return sendResults(
          ctx,
          request.taskId,
          request.file === undefined ? { text: request.text ?? "" } : { file: request.file },
        );
      default: {
        const never: never = request;
        throw new Error(`unhandled request ${JSON.stringify(never)}`);
      }
    }
  }

  async #handle(conn: C): Promise<void> {
    const peer = this.#options.peerOf(conn);
    const log = this.#ctx.log;
    const reader = new TaskFrameReader(conn.readable);
    try {
      for (let i = 0; i < MAX_FRAMES_PER_CONNECTION; i++) {
        const frame = await reader.next();
        if (frame === null) return;
        switch (frame.type) {
          case FRAME_TYPES.submit:
            await handleSubmit(this.#ctx, conn, peer, frame.payload);
            return;
          case FRAME_TYPES.statusUpdate:
            await handleStatusUpdate(this.#ctx, peer, frame.payload);
            continue;
          case FRAME_TYPES.sendResults:
            await handleSendResults(this.#ctx, peer, frame.payload);
            continue;
          case FRAME_TYPES.localRequest:
            await this.#local(conn, peer, frame.payload);
            return;
          default:
            log.debug("task frame ignored", { type: `UNKNOWN(${frame.type})`, from: peer.address });
            return;
        }
      }
    } catch (err) {
      if (!isPilotError(err)) throw err;
      log.debug("task frame refused", { from: peer.address, error: err.message });
    } finally {
      reader.release();
    }
  }

  async #local(conn: C, peer: TaskPeer, payload: Uint8Array): Promise<void> {
    // Only the node itself: pilotctl dials its own daemon, whose stack keeps that traffic in-process.
    if (peer.nodeId !== this.#options.self().nodeId) {
      this.#ctx.log.warn("local task request from another node refused", { from: peer.address });
      return;
    }
    let reply: Uint8Array;
    try {
      reply = encodeLocalResult(await this.request(parseLocalRequest(payload)));
    } catch (err) {
      if (!isPilotError(err)) this.#ctx.log.warn("task request failed", { error: String(err) });
      reply = encodeLocalError(err);
    }
    await writeTaskFrames(conn.writable, [{ type: FRAME_TYPES.localReply, payload: reply }]);
  }

  async #withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(() => undefined, () => undefined);
    this.#locks.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === settled) this.#locks.delete(key);
    }
  }

  /** Arms the one timer at the queue's next deadline (cancelling the previous one first). */
  #arm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    const at = this.queue.nextDeadline();
    if (at === undefined) return;
    const delay = Math.min(Math.max(0, at - this.#ctx.now()), 0x7FFF_FFFF);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerWork = this.#timerWork.then(() => this.#runDue());
    }, delay);
  }

  async #runDue(): Promise<void> {
    if (this.#closed) return;
    for (const due of this.queue.due(this.#ctx.now())) {
      try {
        if (due.kind === "cancel") await cancel(this.#ctx, due.taskId);
        else await expire(this.#ctx, due.taskId, due.stagedMs);
      } catch (err) {
        this.#ctx.log.warn("task timer failed", { task_id: due.taskId, error: String(err) });
        // Drop it from the timers anyway, or a broken file would fire the timer forever.
        this.queue.removeNew(due.taskId);
        this.queue.remove(due.taskId, this.#ctx.now());
      }
    }
    this.#arm();
  }

  /** Stops accepting, ends open connections and the timer; waits for running handlers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#serving;
    await this.#timerWork;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
