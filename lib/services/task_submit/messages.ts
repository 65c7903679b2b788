/**
 * The JSON messages of port 1003 (services.md §6.3): encoders that write the reference's bytes (members
 * in declaration order, optional ones left out when empty, Go's HTML-safe escaping, compact) and parsers
 * that take `unknown` JSON and name the bad member. As with the reference's decoder, unknown members are
 * ignored and missing ones read as empty; a member of the wrong type fails the whole message.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { escapeGoJson } from "../../json/go_json.ts";

/** SubmitRequest (type 1, submitter → receiver). */
export interface SubmitRequest {
  taskId: string;
  description: string;
  fromAddr: string;
  toAddr: string;
}

/** SubmitResponse (type 1, receiver → submitter). */
export interface SubmitResponse {
  taskId: string;
  status: number;
  message: string;
}

/** TaskStatusUpdate (type 3). */
export interface TaskStatusUpdate {
  taskId: string;
  status: string;
  justification: string;
}

/** TaskResultMessage (type 4). */
export interface TaskResultMessage {
  taskId: string;
  resultType: "text" | "file";
  resultText?: string;
  filename?: string;
  fileData?: Uint8Array;
  completedAt: string;
  timeIdleMs?: number;
  timeStagedMs?: number;
  timeCpuMs?: number;
}

type Member = readonly [string, string | number | undefined];

/** Compact JSON of `members` in order; `undefined`, `""` and `0` of optional members are left out by the caller. */
export function orderedJson(members: readonly Member[]): string {
  const parts: string[] = [];
  for (const [key, value] of members) {
    if (value === undefined) continue;
    const text = typeof value === "string" ? JSON.stringify(value.toWellFormed()) : JSON.stringify(value);
    parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return escapeGoJson(`{${parts.join(",")}}`);
}

const encoder = new TextEncoder();

function omitEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function omitZero(value: number | undefined): number | undefined {
  return value === undefined || value === 0 ? undefined : value;
}

/** Payload bytes of a SubmitRequest. */
export function encodeSubmitRequest(m: SubmitRequest): Uint8Array {
  return encoder.encode(orderedJson([
    ["task_id", m.taskId],
    ["task_description", m.description],
    ["from_addr", m.fromAddr],
    ["to_addr", m.toAddr],
  ]));
}

/** Payload bytes of a SubmitResponse. */
export function encodeSubmitResponse(m: SubmitResponse): Uint8Array {
  return encoder.encode(orderedJson([["task_id", m.taskId], ["status", m.status], ["message", m.message]]));
}

/** Payload bytes of a TaskStatusUpdate. */
export function encodeStatusUpdate(m: TaskStatusUpdate): Uint8Array {
  return encoder.encode(orderedJson([
    ["task_id", m.taskId],
    ["status", m.status],
    ["justification", m.justification],
  ]));
}

/** Payload bytes of a TaskResultMessage. */
export function encodeResultMessage(m: TaskResultMessage): Uint8Array {
  const data = m.fileData === undefined || m.fileData.byteLength === 0 ? undefined : m.fileData.toBase64();
  return encoder.encode(orderedJson([
    ["task_id", m.taskId],
    ["result_type", m.resultType],
    ["result_text", omitEmpty(m.resultText)],
    ["filename", omitEmpty(m.filename)],
    ["file_data", data],
    ["completed_at", m.completedAt],
    ["time_idle_ms", omitZero(m.timeIdleMs)],
    ["time_staged_ms", omitZero(m.timeStagedMs)],
    ["time_cpu_ms", omitZero(m.timeCpuMs)],
  ]));
}

/** Parses payload bytes as a JSON object; `service_bad_message` otherwise. */
export function parseJsonObject(payload: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    // Not fatal: invalid UTF-8 becomes U+FFFD, as Go's decoder does.
    value = JSON.parse(new TextDecoder().decode(payload));
  } catch (cause) {
    throw new PilotError("service_bad_message", `${what}: invalid JSON`, { cause });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PilotError("service_bad_message", `${what}: not a JSON object`);
  }
  return Object.fromEntries(Object.entries(value));
}

/** A string member (`""` when absent or null); any other type fails, naming the member. */
export function stringMember(obj: Record<string, unknown>, key: string, what: string): string {
  const value = obj[key];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    throw new PilotError("service_bad_message", `${what}: ${key} is not a string`);
  }
  return value;
}

/** An integer member (0 when absent or null); fractions and other types fail, naming the member. */
export function integerMember(obj: Record<string, unknown>, key: string, what: string): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    throw new PilotError("service_bad_message", `${what}: ${key} is not an integer`);
  }
  return value;
}

/** Parses a SubmitRequest payload. */
export function parseSubmitRequest(payload: Uint8Array): SubmitRequest {
  const what = "submit request";
  const o = parseJsonObject(payload, what);
  return {
    taskId: stringMember(o, "task_id", what),
    description: stringMember(o, "task_description", what),
    fromAddr: stringMember(o, "from_addr", what),
    toAddr: stringMember(o, "to_addr", what),
  };
}

/** Parses a SubmitResponse payload. */
export function parseSubmitResponse(payload: Uint8Array): SubmitResponse {
  const what = "submit response";
  const o = parseJsonObject(payload, what);
  return {
    taskId: stringMember(o, "task_id", what),
    status: integerMember(o, "status", what),
    message: stringMember(o, "message", what),
  };
}

/** Parses a TaskStatusUpdate payload. */
export function parseStatusUpdate(payload: Uint8Array): TaskStatusUpdate {
  const what = "status update";
  const o = parseJsonObject(payload, what);
  return {
    taskId: stringMember(o, "task_id", what),
    status: stringMember(o, "status", what),
    justification: stringMember(o, "justification", what),
  };
}

/** Parses a TaskResultMessage payload; `file_data` must be standard base64. */
export function parseResultMessage(payload: Uint8Array): TaskResultMessage {
  const what = "task results";
  const o = parseJsonObject(payload, what);
  const resultType = stringMember(o, "result_type", what);
  const data = stringMember(o, "file_data", what);
  let fileData: Uint8Array | undefined;
  if (data !== "") {
    try {
      fileData = Uint8Array.fromBase64(data);
    } catch (cause) {
      throw new PilotError("service_bad_message", `${what}: file_data is not base64`, { cause });
    }
  }
  return {
    taskId: stringMember(o, "task_id", what),
    // Anything but "file" is a text result, as the reference's receiver treats it.
    resultType: resultType === "file" ? "file" : "text",
    resultText: stringMember(o, "result_text", what),
    filename: stringMember(o, "filename", what),
    fileData,
    completedAt: stringMember(o, "completed_at", what),
    timeIdleMs: integerMember(o, "time_idle_ms", what),
    timeStagedMs: integerMember(o, "time_staged_ms", what),
    timeCpuMs: integerMember(o, "time_cpu_ms", what),
  };
}
