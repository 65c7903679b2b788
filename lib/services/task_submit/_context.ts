/**
 * What the receiver and submitter halves of the task service share: the store, the queue, the hooks
 * into the node (its own address, dialling, the polo score), a per-task lock, and the one-frame
 * notification a receiver sends its submitter.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { formatGoDuration } from "../../flags/mod.ts";
import type { Logger } from "../../log.ts";
import { type Address, parseAddress } from "../../protocol/address.ts";
import { closeQuietly, type ServiceConn } from "../_service_types.ts";
import { FRAME_TYPES } from "./constants.ts";
import { type TaskFrame, writeTaskFrames } from "./frame.ts";
import { encodeStatusUpdate, type TaskStatusUpdate } from "./messages.ts";
import type { ReceiverQueue } from "./receiver_queue.ts";
import type { TaskStore } from "./task_store.ts";

/** A node as the task service sees it. */
export interface TaskPeer {
  nodeId: number;
  /** `N:XXXX.XXXX.XXXX`. */
  address: string;
}

/**
 * The registry's polo score operations. Scores are read for any node; a node changes only its own score
 * (our registry accepts a change only when the node itself signs it).
 */
export interface PoloScores {
  get(nodeId: number): Promise<number>;
  /** Adds `delta` to our own score; returns the new score. */
  updateOwn(delta: number): Promise<number>;
}

/** The service's shared state and hooks. */
export interface TaskContext {
  readonly store: TaskStore;
  readonly queue: ReceiverQueue;
  readonly log: Logger;
  readonly scores: PoloScores | undefined;
  now(): number;
  self(): TaskPeer;
  /** Opens a connection to `address` port 1003. */
  dial(address: Address): Promise<ServiceConn>;
  /** Runs `fn` with the task's lock held; keys are `received:<id>` / `submitted:<id>`. */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Re-arms the timer after the queue changed. */
  rearm(): void;
}

/** Parses a task's `from`/`to`; `invalid_argument` `invalid from address: …` as the CLI reports it. */
export function taskAddress(text: string, role: "from" | "to"): Address {
  try {
    return parseAddress(text);
  } catch (err) {
    throw new PilotError(
      "invalid_argument",
      `invalid ${role} address: ${err instanceof Error ? err.message : err}`,
      {
        cause: err,
      },
    );
  }
}

/** Dials `address`:1003, writes `frames` and closes (the close delivers what was written first). */
export async function deliver(
  ctx: TaskContext,
  address: Address,
  frames: readonly TaskFrame[],
): Promise<void> {
  const conn = await ctx.dial(address);
  try {
    await writeTaskFrames(conn.writable, frames);
  } finally {
    closeQuietly(conn);
  }
}

/** One STATUS_UPDATE to the submitter at `from`; false when it could not be delivered (logged). */
export async function notifySubmitter(
  ctx: TaskContext,
  from: string,
  update: TaskStatusUpdate,
): Promise<boolean> {
  try {
    await deliver(ctx, taskAddress(from, "from"), [
      { type: FRAME_TYPES.statusUpdate, payload: encodeStatusUpdate(update) },
    ]);
    return true;
  } catch (err) {
    ctx.log.warn("could not notify submitter", {
      task_id: update.taskId,
      status: update.status,
      to: from,
      error: err instanceof Error ? err.message : String(err),
    });
    return false;
  }
}

/** `1 minute` for the default timeout (the reference's wording), Go's duration text otherwise. */
export function describeTimeout(ms: number): string {
  if (ms === 60_000) return "1 minute";
  if (ms === 3_600_000) return "1 hour";
  return formatGoDuration(ms);
}

/** Cuts `text` to at most `maxBytes` of UTF-8 (at a character boundary). */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= maxBytes) return text;
  return new TextDecoder().decode(bytes.subarray(0, maxBytes)).replace(/\uFFFD$/, "");
}
