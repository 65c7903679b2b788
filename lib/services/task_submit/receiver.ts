/**
 * The receiver's half (services.md §6.6–§6.8): a SUBMIT from a peer, gated on the polo score of the
 * node that connected; the local `accept`, `decline`, `execute` and `send-results` requests; and the
 * timers' cancel and expiry. The daemon is the only writer of `received/` state changes.
 *
 * Deviations, all invisible to a reference submitter except as extra, well-formed status updates:
 * `from` is the connecting node's address (not the claimed `from_addr`); a task id that is not the
 * reference's 36-character form, a duplicate id or an unstorable task is rejected with status 400;
 * cancel and expiry are sent to the submitter; `execute` takes the queue's head (FIFO); results change
 * the local state only once they were delivered, and the receiver credits its own reward.
 *
 * @module
 */

import { isPilotError, PilotError } from "../../errors.ts";
import { type ServiceConn } from "../_service_types.ts";
import {
  deliver,
  describeTimeout,
  notifySubmitter,
  taskAddress,
  type TaskContext,
  type TaskPeer,
  truncateUtf8,
} from "./_context.ts";
import {
  FRAME_TYPES,
  JUSTIFICATIONS,
  MAX_DESCRIPTION_BYTES,
  MAX_JUSTIFICATION_BYTES,
  SUBMIT_STATUS,
  TASK_STATUS,
} from "./constants.ts";
import { writeTaskFrames } from "./frame.ts";
import { inQueueOrder } from "./receiver_queue.ts";
import {
  encodeResultMessage,
  encodeStatusUpdate,
  encodeSubmitResponse,
  parseSubmitRequest,
  type SubmitResponse,
  type TaskResultMessage,
} from "./messages.ts";
import { computeReward } from "./reward.ts";
import { formatUtcSeconds, isTaskId, parseTimestamp, type TaskFile } from "./task_file.ts";

/** Handles a SUBMIT frame from `peer` and writes the response frame (type 1, as the reference). */
export async function handleSubmit(
  ctx: TaskContext,
  conn: ServiceConn,
  peer: TaskPeer,
  payload: Uint8Array,
): Promise<void> {
  // A payload that does not parse gets no reply (§6.6 step 1): the submitter sees EOF.
  const request = parseSubmitRequest(payload);
  const response = await admit(ctx, peer, request.taskId, request.description);
  if (request.fromAddr !== peer.address) {
    ctx.log.debug("submit from_addr differs from the connecting node", {
      claimed: request.fromAddr,
      node: peer.address,
    });
  }
  await writeTaskFrames(conn.writable, [{
    type: FRAME_TYPES.submit,
    payload: encodeSubmitResponse(response),
  }]);
}

async function admit(
  ctx: TaskContext,
  peer: TaskPeer,
  taskId: string,
  description: string,
): Promise<SubmitResponse> {
  const reject = (message: string): SubmitResponse => {
    ctx.log.info("task rejected", { task_id: taskId.slice(0, 64), from: peer.address, reason: message });
    return { taskId, status: SUBMIT_STATUS.rejected, message };
  };
  if (ctx.scores !== undefined) {
    let submitter: number;
    let receiver: number;
    try {
      // Judged on the node that connected, never on a field it claims (§6.6 step 2).
      [submitter, receiver] = await Promise.all([
        ctx.scores.get(peer.nodeId),
        ctx.scores.get(ctx.self().nodeId),
      ]);
    } catch (err) {
      ctx.log.warn("polo score lookup failed", { error: err instanceof Error ? err.message : String(err) });
      return reject("Failed to verify polo score");
    }
    if (submitter < receiver) {
      return reject(`Polo score too low: submitter=${submitter}, receiver=${receiver}`);
    }
  }
  if (!isTaskId(taskId)) return reject("Invalid task id");
  if (new TextEncoder().encode(description).byteLength > MAX_DESCRIPTION_BYTES) {
    return reject(`Task description too long (limit ${MAX_DESCRIPTION_BYTES} bytes)`);
  }
  const now = ctx.now();
  const task: TaskFile = {
    taskId,
    description,
    createdAt: formatUtcSeconds(now),
    status: TASK_STATUS.new,
    justification: JUSTIFICATIONS.created,
    from: peer.address,
    to: ctx.self().address,
  };
  try {
    await ctx.store.create("received", task);
  } catch (err) {
    if (isPilotError(err, "already_exists")) return reject(`Task ${taskId} already exists`);
    ctx.log.warn("task not stored", {
      task_id: taskId,
      error: err instanceof Error ? err.message : String(err),
    });
    return reject("Failed to store task");
  }
  ctx.queue.addNew(taskId, now);
  ctx.rearm();
  ctx.log.info("task received", { task_id: taskId, from: peer.address });
  return { taskId, status: SUBMIT_STATUS.accepted, message: `Task received with status ${TASK_STATUS.new}` };
}

function notFound(taskId: string): PilotError {
  return new PilotError("not_found", `task not found: ${taskId}`, {
    hint: "check pilotctl task list --type received",
  });
}

async function load(ctx: TaskContext, taskId: string): Promise<TaskFile> {
  const task = isTaskId(taskId) ? await ctx.store.read("received", taskId) : undefined;
  if (task === undefined) throw notFound(taskId);
  return task;
}

async function save(ctx: TaskContext, task: TaskFile): Promise<void> {
  try {
    await ctx.store.write("received", task);
  } catch (err) {
    throw new PilotError(
      "service_internal_error",
      `failed to update task status: ${err instanceof Error ? err.message : err}`,
      {
        cause: err,
      },
    );
  }
}

/** The accept/decline/cancel time fields: `accepted_at` and `time_idle_ms` since `created_at` (§6.7). */
function answered(task: TaskFile, now: number): Pick<TaskFile, "acceptedAt" | "timeIdleMs"> {
  const created = parseTimestamp(task.createdAt);
  return {
    acceptedAt: formatUtcSeconds(now),
    timeIdleMs: created === undefined ? undefined : Math.max(0, now - created),
  };
}

/** `task accept` (cli.md §11.3). */
export function accept(ctx: TaskContext, taskId: string): Promise<Record<string, unknown>> {
  return ctx.withLock(`received:${taskId}`, async () => {
    const task = await load(ctx, taskId);
    if (task.status !== TASK_STATUS.new) {
      throw new PilotError("service_invalid_state", `task ${taskId} is already ${task.status}`);
    }
    const now = ctx.now();
    const created = parseTimestamp(task.createdAt);
    if (created !== undefined && ctx.queue.isAcceptExpired(created, now)) {
      throw new PilotError(
        "service_expired",
        `task ${taskId} has expired (accept deadline was ${
          describeTimeout(ctx.queue.acceptTimeoutMs)
        } after creation)`,
      );
    }
    const updated: TaskFile = {
      ...task,
      status: TASK_STATUS.accepted,
      justification: JUSTIFICATIONS.accepted,
      ...answered(task, now),
    };
    ctx.queue.removeNew(taskId);
    const head = ctx.queue.enqueue(taskId, now);
    if (head !== undefined) updated.stagedAt = formatUtcSeconds(head.stagedMs);
    await save(ctx, updated);
    ctx.rearm();
    const notified = await notifySubmitter(ctx, task.from, {
      taskId,
      status: TASK_STATUS.accepted,
      justification: JUSTIFICATIONS.accepted,
    });
    return {
      task_id: taskId,
      status: TASK_STATUS.accepted,
      message: notified ? "Task accepted" : "Task accepted (submitter notification failed)",
    };
  });
}

/** `task decline` (cli.md §11.4): no age check, as in the reference. */
export function decline(
  ctx: TaskContext,
  taskId: string,
  justification: string,
): Promise<Record<string, unknown>> {
  return ctx.withLock(`received:${taskId}`, async () => {
    const task = await load(ctx, taskId);
    if (task.status !== TASK_STATUS.new) {
      throw new PilotError("service_invalid_state", `task ${taskId} is already ${task.status}`);
    }
    const reason = truncateUtf8(justification, MAX_JUSTIFICATION_BYTES);
    await save(ctx, {
      ...task,
      status: TASK_STATUS.declined,
      justification: reason,
      ...answered(task, ctx.now()),
    });
    ctx.queue.removeNew(taskId);
    ctx.rearm();
    const notified = await notifySubmitter(ctx, task.from, {
      taskId,
      status: TASK_STATUS.declined,
      justification: reason,
    });
    return {
      task_id: taskId,
      status: TASK_STATUS.declined,
      justification: reason,
      message: notified ? "Task declined" : "Task declined (submitter notification failed)",
    };
  });
}

/** The execute time fields (§6.7): staged time from the queue head, execution starts now. */
function started(task: TaskFile, stagedMs: number | undefined, now: number): TaskFile {
  const staged = stagedMs ?? parseTimestamp(task.stagedAt);
  return {
    ...task,
    stagedAt: staged === undefined ? task.stagedAt : formatUtcSeconds(staged),
    executeStartedAt: formatUtcSeconds(now),
    timeStagedMs: staged === undefined ? undefined : Math.max(0, now - staged),
  };
}

/** Writes `staged_at` into the file of a task that just became the queue's head. */
async function markHead(
  ctx: TaskContext,
  head: { taskId: string; stagedMs: number } | undefined,
): Promise<void> {
  if (head === undefined) return;
  await ctx.withLock(`received:${head.taskId}`, async () => {
    const task = await ctx.store.read("received", head.taskId);
    if (task?.status !== TASK_STATUS.accepted) return;
    await ctx.store.write("received", { ...task, stagedAt: formatUtcSeconds(head.stagedMs) }).catch((err) =>
      ctx.log.warn("staged time not stored", { task_id: head.taskId, error: String(err) })
    );
  });
}

/** `task execute` (cli.md §11.5): the head of the queue, i.e. the task accepted first. */
export async function execute(ctx: TaskContext): Promise<Record<string, unknown>> {
  // Bounded: each round drops one stale id (a file changed behind the daemon's back).
  for (let round = 0; round < 1_000; round++) {
    const head = ctx.queue.head();
    if (head === undefined) {
      const tasks = await ctx.store.list("received");
      // Tasks accepted behind the daemon's back (a reference pilotctl edits the files) join the queue.
      const strays = tasks.filter((t) => t.status === TASK_STATUS.accepted);
      if (strays.length === 0) {
        throw new PilotError(
          "not_found",
          tasks.length > 0 ? "no accepted tasks to execute" : "no received tasks found",
        );
      }
      for (const stray of strays) ctx.queue.enqueue(stray.taskId, ctx.now());
      continue;
    }
    const outcome = await ctx.withLock(`received:${head.taskId}`, async () => {
      const task = await ctx.store.read("received", head.taskId);
      const now = ctx.now();
      if (task?.status !== TASK_STATUS.accepted) {
        return { task: undefined, next: ctx.queue.remove(head.taskId, now).next };
      }
      const updated: TaskFile = {
        ...started(task, head.stagedMs, now),
        status: TASK_STATUS.executing,
        justification: JUSTIFICATIONS.executing,
      };
      await save(ctx, updated);
      const next = ctx.queue.remove(head.taskId, now).next;
      ctx.rearm();
      await notifySubmitter(ctx, task.from, {
        taskId: task.taskId,
        status: TASK_STATUS.executing,
        justification: JUSTIFICATIONS.executing,
      });
      return { task: updated, next };
    });
    await markHead(ctx, outcome.next);
    const task = outcome.task;
    if (task !== undefined) {
      return {
        task_id: task.taskId,
        task_description: task.description,
        status: TASK_STATUS.executing,
        from: task.from,
      };
    }
  }
  throw new Error("execute: queue did not settle");
}

/** What `send-results` carries. */
export type ResultPayload = { text: string } | { file: { name: string; data: Uint8Array } };

/** `task send-results` (cli.md §11.6). The local file turns SUCCEEDED only once the results are sent. */
export async function sendResults(
  ctx: TaskContext,
  taskId: string,
  result: ResultPayload,
): Promise<Record<string, unknown>> {
  let next: { taskId: string; stagedMs: number } | undefined;
  const output = await ctx.withLock(`received:${taskId}`, async () => {
    const task = await load(ctx, taskId);
    if (task.status !== TASK_STATUS.executing && task.status !== TASK_STATUS.accepted) {
      throw new PilotError(
        "service_invalid_state",
        `task ${taskId} cannot receive results (status: ${task.status})`,
      );
    }
    const now = ctx.now();
    const head = ctx.queue.head();
    const base = task.status === TASK_STATUS.accepted
      ? started(task, head?.taskId === taskId ? head.stagedMs : undefined, now)
      : task;
    const executeStarted = parseTimestamp(base.executeStartedAt);
    const done: TaskFile = {
      ...base,
      status: TASK_STATUS.succeeded,
      justification: JUSTIFICATIONS.resultsSent,
      completedAt: executeStarted === undefined ? undefined : formatUtcSeconds(now),
      timeCpuMs: executeStarted === undefined ? undefined : Math.max(0, now - executeStarted),
    };
    const message: TaskResultMessage = {
      taskId,
      resultType: "file" in result ? "file" : "text",
      ...("file" in result
        ? { filename: result.file.name, fileData: result.file.data }
        : { resultText: result.text }),
      completedAt: formatUtcSeconds(now),
      timeIdleMs: done.timeIdleMs,
      timeStagedMs: done.timeStagedMs,
      timeCpuMs: done.timeCpuMs,
    };
    const from = taskAddress(task.from, "from");
    const frames = [
      { type: FRAME_TYPES.sendResults, payload: encodeResultMessage(message) },
      // A reference submitter reads only the first frame; ours reads both (every status update arrives).
      {
        type: FRAME_TYPES.statusUpdate,
        payload: encodeStatusUpdate({
          taskId,
          status: TASK_STATUS.succeeded,
          justification: JUSTIFICATIONS.succeeded,
        }),
      },
    ];
    await deliverResults(ctx, from, frames, task.from);
    await save(ctx, done);
    next = ctx.queue.remove(taskId, now).next;
    ctx.rearm();
    const reward = computeReward({
      idleMs: done.timeIdleMs ?? 0,
      stagedMs: done.timeStagedMs ?? 0,
      cpuMs: done.timeCpuMs ?? 0,
    });
    await changeOwnScore(ctx, reward, taskId, "task completed");
    const out: Record<string, unknown> = {
      task_id: taskId,
      status: TASK_STATUS.succeeded,
      sent_to: task.from,
      sent_type: message.resultType,
    };
    if ("file" in result) {
      out.filename = result.file.name;
      out.file_size = result.file.data.byteLength;
    }
    return out;
  });
  await markHead(ctx, next);
  return output;
}

async function deliverResults(
  ctx: TaskContext,
  address: ReturnType<typeof taskAddress>,
  frames: Parameters<typeof deliver>[2],
  from: string,
): Promise<void> {
  let conn;
  try {
    conn = await ctx.dial(address);
  } catch (cause) {
    throw new PilotError("connection_failed", `cannot connect to submitter ${from}`, {
      hint: `check that ${from} is reachable`,
      cause,
    });
  }
  try {
    await writeTaskFrames(conn.writable, frames);
  } catch (cause) {
    throw new PilotError(
      "connection_failed",
      `failed to send results: ${cause instanceof Error ? cause.message : cause}`,
      { cause },
    );
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed by the peer: what was written has gone out.
    }
  }
}

/** Our own polo change through the registry; failures are logged only (§6.6 step 3). */
export async function changeOwnScore(
  ctx: TaskContext,
  delta: number,
  taskId: string,
  reason: string,
): Promise<void> {
  if (ctx.scores === undefined) return;
  try {
    const score = await ctx.scores.updateOwn(delta);
    ctx.log.info("polo score changed", { task_id: taskId, delta, polo_score: score, reason });
  } catch (err) {
    ctx.log.warn("polo score update failed", {
      task_id: taskId,
      delta,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Timer: a NEW task unanswered past the accept timeout becomes CANCELLED (no score change). */
export function cancel(ctx: TaskContext, taskId: string): Promise<void> {
  return ctx.withLock(`received:${taskId}`, async () => {
    ctx.queue.removeNew(taskId);
    const task = await ctx.store.read("received", taskId);
    if (task?.status !== TASK_STATUS.new) return;
    const justification = `Task cancelled: no response within ${describeTimeout(ctx.queue.acceptTimeoutMs)}`;
    await ctx.store.write("received", {
      ...task,
      status: TASK_STATUS.cancelled,
      justification,
      ...answered(task, ctx.now()),
    });
    ctx.log.info("task cancelled", { task_id: taskId });
    await notifySubmitter(ctx, task.from, { taskId, status: TASK_STATUS.cancelled, justification });
  });
}

/** Timer: the head waited past the expiry timeout; EXPIRED, and our score drops by 1 (§6.8). */
export async function expire(ctx: TaskContext, taskId: string, stagedMs: number): Promise<void> {
  const next = await ctx.withLock(`received:${taskId}`, async () => {
    const now = ctx.now();
    const { next } = ctx.queue.remove(taskId, now);
    const task = await ctx.store.read("received", taskId);
    if (task?.status !== TASK_STATUS.accepted) return next;
    const justification = `Task expired: at head of queue for over ${describeTimeout(ctx.queue.expiryMs)}`;
    await ctx.store.write("received", {
      ...started(task, stagedMs, now),
      status: TASK_STATUS.expired,
      justification,
    });
    ctx.log.info("task expired", { task_id: taskId });
    await changeOwnScore(ctx, -1, taskId, "task expired");
    await notifySubmitter(ctx, task.from, { taskId, status: TASK_STATUS.expired, justification });
    return next;
  });
  await markHead(ctx, next);
}

/**
 * Rebuilds the timers from `received/` after a restart: NEW tasks get their remaining accept time,
 * ACCEPTED ones return to the queue in acceptance order, the one that was head first with its staged
 * time from disk.
 */
export async function restore(ctx: TaskContext): Promise<void> {
  const tasks = await ctx.store.list("received");
  const now = ctx.now();
  for (const task of tasks) {
    if (task.status === TASK_STATUS.new) ctx.queue.addNew(task.taskId, parseTimestamp(task.createdAt) ?? now);
  }
  const accepted = inQueueOrder(tasks);
  let newHead: { taskId: string; stagedMs: number } | undefined;
  for (const task of accepted) {
    const stagedMs = parseTimestamp(task.stagedAt);
    const head = ctx.queue.enqueue(task.taskId, now, stagedMs);
    if (head !== undefined && stagedMs === undefined) newHead = head;
  }
  await markHead(ctx, newHead);
  ctx.rearm();
  ctx.log.debug("task queue restored", {
    pending: tasks.filter((t) => t.status === TASK_STATUS.new).length,
    queued: accepted.length,
  });
}
