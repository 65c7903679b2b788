/**
 * The TaskFile record of `tasks/received/` and `tasks/submitted/` (services.md §6.4, cli.md §11.1):
 * 2-space indented JSON, members in the fixed order, optional ones left out when empty, no trailing
 * newline. Also the task id (§6.5) and the UTC RFC 3339 second stamps every time member uses.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { escapeGoJson } from "../../json/go_json.ts";
import { type TaskStatus } from "./constants.ts";
import { integerMember, parseJsonObject, stringMember } from "./messages.ts";

/** One task as stored on either side. */
export interface TaskFile {
  taskId: string;
  description: string;
  createdAt: string;
  /** Usually a {@linkcode TaskStatus}; a file written by another program may hold any text. */
  status: TaskStatus | string;
  justification: string;
  from: string;
  to: string;
  acceptedAt?: string;
  stagedAt?: string;
  executeStartedAt?: string;
  completedAt?: string;
  timeIdleMs?: number;
  timeStagedMs?: number;
  timeCpuMs?: number;
}

/** The indented JSON text of `task`, byte for byte as the reference writes it. */
export function formatTaskFile(task: TaskFile): string {
  const record: Record<string, string | number> = {
    task_id: task.taskId.toWellFormed(),
    task_description: task.description.toWellFormed(),
    created_at: task.createdAt,
    status: task.status.toWellFormed(),
    status_justification: task.justification.toWellFormed(),
    from: task.from.toWellFormed(),
    to: task.to.toWellFormed(),
  };
  const optional: Array<[string, string | number | undefined]> = [
    ["accepted_at", task.acceptedAt],
    ["staged_at", task.stagedAt],
    ["execute_started_at", task.executeStartedAt],
    ["completed_at", task.completedAt],
    ["time_idle_ms", task.timeIdleMs],
    ["time_staged_ms", task.timeStagedMs],
    ["time_cpu_ms", task.timeCpuMs],
  ];
  for (const [key, value] of optional) {
    if (value !== undefined && value !== "" && value !== 0) record[key] = value;
  }
  return escapeGoJson(JSON.stringify(record, null, 2));
}

/** Parses a task file's bytes; `service_bad_message` names the bad member. */
export function parseTaskFile(bytes: Uint8Array): TaskFile {
  const what = "task file";
  const o = parseJsonObject(bytes, what);
  const optionalString = (key: string) => {
    const value = stringMember(o, key, what);
    return value === "" ? undefined : value;
  };
  const optionalInteger = (key: string) => {
    const value = integerMember(o, key, what);
    return value === 0 ? undefined : value;
  };
  return {
    taskId: stringMember(o, "task_id", what),
    description: stringMember(o, "task_description", what),
    createdAt: stringMember(o, "created_at", what),
    status: stringMember(o, "status", what),
    justification: stringMember(o, "status_justification", what),
    from: stringMember(o, "from", what),
    to: stringMember(o, "to", what),
    acceptedAt: optionalString("accepted_at"),
    stagedAt: optionalString("staged_at"),
    executeStartedAt: optionalString("execute_started_at"),
    completedAt: optionalString("completed_at"),
    timeIdleMs: optionalInteger("time_idle_ms"),
    timeStagedMs: optionalInteger("time_staged_ms"),
    timeCpuMs: optionalInteger("time_cpu_ms"),
  };
}

const TASK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * True for the ids the reference generates (§6.5): 36 characters, lower-case hex in 8-4-4-4-12 groups.
 * Anything else would be joined into a file path, so it is refused (the reference accepts `""` or `../x`).
 */
export function isTaskId(text: string): boolean {
  return TASK_ID.test(text);
}

/** A fresh task id: 16 random bytes, no UUID version bits (§6.5). */
export function newTaskId(): string {
  const hex = crypto.getRandomValues(new Uint8Array(16)).toHex();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** `2026-11-24T18:35:04Z`: UTC, whole seconds (the fraction is dropped, as Go's RFC 3339 layout does). */
export function formatUtcSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/**
 * The ms timestamp of an RFC 3339 text, or `undefined` when it is empty or unparsable (a file another
 * program wrote; the timer logic then treats the time as unknown).
 */
export function parseTimestamp(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Throws `service_bad_message` unless `text` is a task id. */
export function requireTaskId(text: string): string {
  if (!isTaskId(text)) {
    throw new PilotError("service_bad_message", `invalid task id ${JSON.stringify(text.slice(0, 64))}`);
  }
  return text;
}
