/**
 * The receiver's task timers and queue (services.md §6.8), as a pure state machine: time is an
 * argument, nothing here sets a timer. Two things are tracked:
 *
 * - NEW tasks and their creation times: each is cancelled once it is unanswered for longer than the
 *   accept timeout;
 * - the FIFO of ACCEPTED tasks waiting to be executed. Its head has a "staged at" time, set when the task
 *   became head; a head that waits longer than the expiry timeout expires (an abandoned task), and the
 *   next one becomes head at that moment, so at most one task expires per expiry period.
 *
 * Deviation (§6.8 quirk): the reference appends every submitted task and removes only cancelled and
 * expired ones, so finished work later expires. Here the queue holds only accepted tasks, and `task
 * execute` (or results sent straight from ACCEPTED) takes the task out; decline, cancel and expiry never
 * see it. The staged time is then exactly the wait between reaching the head and starting work.
 *
 * @module
 */

import { parseTimestamp, type TaskFile } from "./task_file.ts";
import { TASK_STATUS } from "./constants.ts";

/**
 * The ACCEPTED tasks of `tasks` in queue order, as a restart rebuilds it and `task queue` lists it:
 * the former head (the one with a `staged_at`) first, then by `accepted_at`, then by id.
 */
export function inQueueOrder(tasks: readonly TaskFile[]): TaskFile[] {
  const key = (t: TaskFile) => ({
    staged: t.stagedAt === undefined ? 1 : 0,
    accepted: parseTimestamp(t.acceptedAt) ?? Number.MAX_SAFE_INTEGER,
  });
  return tasks.filter((t) => t.status === TASK_STATUS.accepted).sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka.staged - kb.staged || ka.accepted - kb.accepted ||
      (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);
  });
}

/** Something the timers decided at `now`. */
export type QueueDue =
  | { kind: "cancel"; taskId: string }
  | { kind: "expire"; taskId: string; stagedMs: number };

/** A new head of the queue and the moment it became head. */
export interface QueueHead {
  taskId: string;
  stagedMs: number;
}

/** Options of {@linkcode ReceiverQueue}. */
export interface ReceiverQueueOptions {
  acceptTimeoutMs: number;
  expiryMs: number;
}

/** The receiver's NEW-task deadlines and ACCEPTED-task FIFO. */
export class ReceiverQueue {
  readonly acceptTimeoutMs: number;
  readonly expiryMs: number;
  #pending = new Map<string, number>();
  #fifo: string[] = [];
  #headStagedMs = 0;

  constructor(options: ReceiverQueueOptions) {
    this.acceptTimeoutMs = options.acceptTimeoutMs;
    this.expiryMs = options.expiryMs;
  }

  /** Starts a NEW task's accept deadline. */
  addNew(taskId: string, createdMs: number): void {
    this.#pending.set(taskId, createdMs);
  }

  /** Ends a NEW task's deadline (accepted, declined or cancelled). */
  removeNew(taskId: string): void {
    this.#pending.delete(taskId);
  }

  /** True while `taskId` is NEW and its deadline is running. */
  isPending(taskId: string): boolean {
    return this.#pending.has(taskId);
  }

  /** True once more than the accept timeout has passed since `createdMs` (§6.7: "> 60 s"). */
  isAcceptExpired(createdMs: number, now: number): boolean {
    return now - createdMs > this.acceptTimeoutMs;
  }

  /**
   * Appends an accepted task; the head when the queue was empty (staged now, or at `stagedMs` when a
   * restart restores a head whose staged time is on disk). Returns the new head, if it changed.
   */
  enqueue(taskId: string, now: number, stagedMs?: number): QueueHead | undefined {
    if (this.#fifo.includes(taskId)) return undefined;
    this.#fifo.push(taskId);
    if (this.#fifo.length > 1) return undefined;
    this.#headStagedMs = stagedMs ?? now;
    return { taskId, stagedMs: this.#headStagedMs };
  }

  /**
   * Takes `taskId` out of the queue. Returns the staged time it had (only the head has one) and the
   * next head, staged at `now`, when the head left.
   */
  remove(taskId: string, now: number): { stagedMs?: number; next?: QueueHead } {
    const index = this.#fifo.indexOf(taskId);
    if (index === -1) return {};
    this.#fifo.splice(index, 1);
    if (index !== 0) return {};
    const stagedMs = this.#headStagedMs;
    const nextId = this.#fifo[0];
    if (nextId === undefined) return { stagedMs };
    this.#headStagedMs = now;
    return { stagedMs, next: { taskId: nextId, stagedMs: now } };
  }

  /** The head and its staged time. */
  head(): QueueHead | undefined {
    const taskId = this.#fifo[0];
    return taskId === undefined ? undefined : { taskId, stagedMs: this.#headStagedMs };
  }

  /** The queued task ids, head first. */
  ids(): readonly string[] {
    return this.#fifo;
  }

  /** What is due at `now`: every overdue NEW task, and the head if it has waited too long. */
  due(now: number): QueueDue[] {
    const due: QueueDue[] = [];
    for (const [taskId, createdMs] of this.#pending) {
      if (this.isAcceptExpired(createdMs, now)) due.push({ kind: "cancel", taskId });
    }
    const head = this.head();
    if (head !== undefined && now - head.stagedMs > this.expiryMs) {
      due.push({ kind: "expire", taskId: head.taskId, stagedMs: head.stagedMs });
    }
    return due;
  }

  /** The earliest moment something becomes due, or `undefined` when nothing is waiting. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const createdMs of this.#pending.values()) {
      const at = createdMs + this.acceptTimeoutMs + 1;
      if (next === undefined || at < next) next = at;
    }
    const head = this.head();
    if (head !== undefined) {
      const at = head.stagedMs + this.expiryMs + 1;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }
}
