/**
 * The task-submit service (port 1003, services.md §6): frames and messages, task files, the receiver's
 * queue, the reward formula, the daemon-side {@linkcode TaskService} and the local requests pilotctl
 * sends it.
 *
 * @example
 * ```ts
 * import { computeReward, isTaskId, newTaskId } from "./mod.ts";
 * if (!isTaskId(newTaskId()) || computeReward({ idleMs: 0, stagedMs: 0, cpuMs: 60_000 }) !== 2) {
 *   throw new Error("task basics");
 * }
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./frame.ts";
export * from "./messages.ts";
export * from "./task_file.ts";
export * from "./task_store.ts";
export * from "./reward.ts";
export * from "./receiver_queue.ts";
export * from "./local_request.ts";
export * from "./service.ts";
export { canMoveTo } from "./submitter.ts";
export type { PoloScores, TaskPeer } from "./_context.ts";
