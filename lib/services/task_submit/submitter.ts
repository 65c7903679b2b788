/**
 * The submitter's half (services.md §6.6, §6.9): sending a SUBMIT for pilotctl and keeping
 * `submitted/<id>.json` current as the receiver's STATUS_UPDATE and SEND_RESULTS frames arrive.
 *
 * Deviations: frames are taken only from the task's receiver (the reference lets any peer change a
 * task or trigger the polo transfer); status changes only move forward, so a late or repeated update
 * cannot undo a result; results for a task we did not submit are refused instead of written; result
 * names are reduced to a safe base name. The polo transfer is split by who may sign it: we take our −1
 * here, the receiver credits its own reward when it delivers the results.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { type Address, formatAddress } from "../../protocol/address.ts";
import { closeQuietly } from "../_service_types.ts";
import { reachable } from "./_hints.ts";
import { taskAddress, type TaskContext, type TaskPeer, truncateUtf8 } from "./_context.ts";
import {
  FRAME_TYPES,
  JUSTIFICATIONS,
  MAX_JUSTIFICATION_BYTES,
  SUBMIT_STATUS,
  TASK_STATUS,
} from "./constants.ts";
import { TaskFrameReader, writeTaskFrames } from "./frame.ts";
import {
  encodeSubmitRequest,
  parseResultMessage,
  parseStatusUpdate,
  parseSubmitResponse,
} from "./messages.ts";
import { changeOwnScore } from "./receiver.ts";
import { computeReward } from "./reward.ts";
import { formatUtcSeconds, isTaskId, newTaskId, type TaskFile } from "./task_file.ts";

/** `task submit` (cli.md §11.2): sends the SUBMIT, waits for the answer, records an accepted task. */
export function submit(
  ctx: TaskContext,
  target: Address,
  description: string,
): Promise<Record<string, unknown>> {
  const taskId = newTaskId();
  const to = formatAddress(target);
  // Held until the file exists, so a receiver's quick first update waits for it instead of being dropped.
  return ctx.withLock(`submitted:${taskId}`, async () => {
    let conn;
    try {
      conn = await ctx.dial(target);
    } catch (cause) {
      throw new PilotError("connection_failed", `cannot connect to ${to} (task submit port 1003)`, {
        hint: reachable(to),
        cause,
      });
    }
    const from = ctx.self().address;
    let status: number;
    let message: string;
    try {
      await writeTaskFrames(conn.writable, [{
        type: FRAME_TYPES.submit,
        payload: encodeSubmitRequest({ taskId, description, fromAddr: from, toAddr: to }),
      }]);
      const reader = new TaskFrameReader(conn.readable);
      const frame = await reader.next();
      reader.release();
      if (frame === null) throw new PilotError("connection_failed", "submit: EOF");
      ({ status, message } = parseSubmitResponse(frame.payload));
    } catch (err) {
      if (err instanceof PilotError && err.code === "connection_failed") throw err;
      throw new PilotError("connection_failed", `submit: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    } finally {
      closeQuietly(conn);
    }
    if (status === SUBMIT_STATUS.accepted) {
      const task: TaskFile = {
        taskId,
        description,
        createdAt: formatUtcSeconds(ctx.now()),
        status: TASK_STATUS.new,
        justification: JUSTIFICATIONS.created,
        from,
        to,
      };
      await ctx.store.create("submitted", task).catch((err) =>
        ctx.log.warn("failed to save submitted task", { task_id: taskId, error: String(err) })
      );
    }
    return {
      target: to,
      task_id: taskId,
      task: description,
      status,
      message,
      accepted: status === SUBMIT_STATUS.accepted,
    };
  });
}

/** Forward order of the submitter's states; the three dead ends share the last rank. */
const RANK: Readonly<Record<string, number>> = {
  [TASK_STATUS.new]: 0,
  [TASK_STATUS.accepted]: 1,
  [TASK_STATUS.executing]: 2,
  [TASK_STATUS.completed]: 3,
  [TASK_STATUS.succeeded]: 4,
  [TASK_STATUS.declined]: 5,
  [TASK_STATUS.cancelled]: 5,
  [TASK_STATUS.expired]: 5,
};

/** True when a submitted task in `current` may take `next` from its receiver. */
export function canMoveTo(current: string, next: string): boolean {
  const from = RANK[current];
  const to = RANK[next];
  if (from === undefined || to === undefined || to === 0) return false;
  if (to === 5) return from < 3; // refused, cancelled or abandoned before any result came
  // "Succeeded" confirms results we hold; before them it would make the results look like a duplicate.
  if (next === TASK_STATUS.succeeded) return current === TASK_STATUS.completed;
  return from < to;
}

/** Loads the submitted task `taskId`, if `peer` is its receiver (anything else is logged and ignored). */
async function fromReceiver(
  ctx: TaskContext,
  peer: TaskPeer,
  taskId: string,
  frame: string,
): Promise<TaskFile | undefined> {
  const task = isTaskId(taskId) ? await ctx.store.read("submitted", taskId) : undefined;
  if (task === undefined) {
    ctx.log.debug(`${frame} for an unknown task`, { task_id: taskId.slice(0, 64), from: peer.address });
    return undefined;
  }
  let receiver: number | undefined;
  try {
    receiver = taskAddress(task.to, "to").node;
  } catch {
    receiver = undefined;
  }
  if (receiver !== peer.nodeId) {
    ctx.log.warn(`${frame} from a node that is not the task's receiver`, {
      task_id: taskId,
      from: peer.address,
      to: task.to,
    });
    return undefined;
  }
  return task;
}

/** A STATUS_UPDATE from the receiver: the new status and its justification, if it moves forward. */
export async function handleStatusUpdate(
  ctx: TaskContext,
  peer: TaskPeer,
  payload: Uint8Array,
): Promise<void> {
  const update = parseStatusUpdate(payload);
  await ctx.withLock(`submitted:${update.taskId}`, async () => {
    const task = await fromReceiver(ctx, peer, update.taskId, "status update");
    if (task === undefined) return;
    if (!canMoveTo(task.status, update.status)) {
      ctx.log.debug("status update ignored", {
        task_id: task.taskId,
        status: task.status,
        update: update.status.slice(0, 32),
      });
      return;
    }
    const justification = truncateUtf8(update.justification, MAX_JUSTIFICATION_BYTES);
    await ctx.store.write("submitted", { ...task, status: update.status, justification });
    ctx.log.info("task status updated", { task_id: task.taskId, status: update.status });
  });
}

/** SEND_RESULTS from the receiver: store the result, mark COMPLETED, pay our point (§6.6). */
export async function handleSendResults(
  ctx: TaskContext,
  peer: TaskPeer,
  payload: Uint8Array,
): Promise<void> {
  const message = parseResultMessage(payload);
  await ctx.withLock(`submitted:${message.taskId}`, async () => {
    const task = await fromReceiver(ctx, peer, message.taskId, "results");
    if (task === undefined) return;
    if ((RANK[task.status] ?? 5) >= 3) {
      ctx.log.debug("results ignored", { task_id: task.taskId, status: task.status });
      return;
    }
    const isFile = message.resultType === "file" && message.fileData !== undefined &&
      message.fileData.byteLength > 0;
    const path = await ctx.store.writeResult(
      task.taskId,
      isFile
        ? { filename: message.filename ?? "", data: message.fileData ?? new Uint8Array(0) }
        : { data: new TextEncoder().encode(message.resultText ?? "") },
    );
    await ctx.store.write("submitted", {
      ...task,
      status: TASK_STATUS.completed,
      justification: JUSTIFICATIONS.completed,
    });
    const reward = computeReward({
      idleMs: message.timeIdleMs ?? 0,
      stagedMs: message.timeStagedMs ?? 0,
      cpuMs: message.timeCpuMs ?? 0,
    });
    ctx.log.info("task results received", { task_id: task.taskId, path, receiver_reward: reward });
    await changeOwnScore(ctx, -1, task.taskId, "task results received");
  });
}
