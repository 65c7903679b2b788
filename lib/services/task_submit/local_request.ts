/**
 * The local requests pilotctl sends its own daemon on port 1003 (our addition; see `constants.ts`
 * `FRAME_TYPES.localRequest`). The daemon owns the receiver's queue and is the only writer of task state
 * transitions, so `task submit/accept/decline/execute/send-results` ask it to act and print what it
 * answers; `task list` and `task queue` read the files and need no daemon (cli.md §11.7–§11.8).
 *
 * One request and one reply per connection, each a frame of compact JSON:
 * request `{"op":"accept","task_id":"…"}`; reply `{"ok":true,"result":{…}}` or
 * `{"ok":false,"code":"invalid_state","message":"…","hint":"…"}`. The result is the command's output.
 *
 * @module
 */

import { type ErrorCode, isPilotError, PilotError } from "../../errors.ts";
import { formatSortedJson } from "../../json/go_json.ts";
import type { ServiceConn } from "../_service_types.ts";
import { FRAME_TYPES } from "./constants.ts";
import { TaskFrameReader, writeTaskFrames } from "./frame.ts";
import { parseJsonObject, stringMember } from "./messages.ts";

/** What pilotctl can ask for. */
export type LocalRequest =
  | { op: "submit"; target: string; description: string }
  | { op: "accept"; taskId: string }
  | { op: "decline"; taskId: string; justification: string }
  | { op: "execute" }
  | { op: "send_results"; taskId: string; text?: string; file?: { name: string; data: Uint8Array } };

/** Error codes a reply may carry (the task commands' §17 codes, in their `PilotError` form). */
const REPLY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "invalid_argument",
  "not_found",
  "connection_failed",
  "internal",
  "service_internal_error",
  "service_invalid_state",
  "service_expired",
]);

const encoder = new TextEncoder();

/** Payload of a request. */
export function encodeLocalRequest(request: LocalRequest): Uint8Array {
  switch (request.op) {
    case "submit":
      return encoder.encode(
        formatSortedJson({ op: request.op, target: request.target, task: request.description }),
      );
    case "accept":
      return encoder.encode(formatSortedJson({ op: request.op, task_id: request.taskId }));
    case "decline":
      return encoder.encode(
        formatSortedJson({ op: request.op, task_id: request.taskId, justification: request.justification }),
      );
    case "execute":
      return encoder.encode(formatSortedJson({ op: request.op }));
    case "send_results":
      return encoder.encode(formatSortedJson({
        op: request.op,
        task_id: request.taskId,
        results: request.text,
        filename: request.file?.name,
        file_data: request.file?.data.toBase64(),
      }));
    default: {
      const never: never = request;
      throw new Error(`unhandled local request ${JSON.stringify(never)}`);
    }
  }
}

/** Parses a request payload; `service_bad_message` for anything malformed. */
export function parseLocalRequest(payload: Uint8Array): LocalRequest {
  const what = "local task request";
  const o = parseJsonObject(payload, what);
  const op = stringMember(o, "op", what);
  switch (op) {
    case "submit":
      return { op, target: stringMember(o, "target", what), description: stringMember(o, "task", what) };
    case "accept":
      return { op, taskId: stringMember(o, "task_id", what) };
    case "decline":
      return {
        op,
        taskId: stringMember(o, "task_id", what),
        justification: stringMember(o, "justification", what),
      };
    case "execute":
      return { op };
    case "send_results": {
      const taskId = stringMember(o, "task_id", what);
      const name = stringMember(o, "filename", what);
      const data = stringMember(o, "file_data", what);
      if (name === "") return { op, taskId, text: stringMember(o, "results", what) };
      let bytes: Uint8Array;
      try {
        bytes = Uint8Array.fromBase64(data);
      } catch (cause) {
        throw new PilotError("service_bad_message", `${what}: file_data is not base64`, { cause });
      }
      return { op, taskId, file: { name, data: bytes } };
    }
    default:
      throw new PilotError("service_bad_message", `${what}: unknown op ${JSON.stringify(op.slice(0, 32))}`);
  }
}

/** Payload of a success reply. */
export function encodeLocalResult(result: Record<string, unknown>): Uint8Array {
  return encoder.encode(formatSortedJson({ ok: true, result }));
}

/** Payload of a failure reply; codes outside the task commands' set become `internal`. */
export function encodeLocalError(err: unknown): Uint8Array {
  if (isPilotError(err)) {
    const code = REPLY_CODES.has(err.code) ? err.code : "internal";
    return encoder.encode(formatSortedJson({ ok: false, code, message: err.message, hint: err.hint }));
  }
  const message = err instanceof Error ? err.message : String(err);
  return encoder.encode(formatSortedJson({ ok: false, code: "internal", message }));
}

/** Reads a reply payload: the result, or the daemon's error rethrown as a `PilotError`. */
export function parseLocalReply(payload: Uint8Array): Record<string, unknown> {
  const what = "local task reply";
  const o = parseJsonObject(payload, what);
  if (o.ok === true) {
    const result = o.result;
    if (typeof result !== "object" || result === null || Array.isArray(result)) {
      throw new PilotError("service_bad_message", `${what}: result is not an object`);
    }
    return Object.fromEntries(Object.entries(result));
  }
  const codeText = stringMember(o, "code", what);
  const code = [...REPLY_CODES].find((known) => known === codeText) ?? "internal";
  const hint = stringMember(o, "hint", what);
  throw new PilotError(code, stringMember(o, "message", what), hint === "" ? {} : { hint });
}

/**
 * Sends one request on `conn` (a connection to our own daemon's port 1003) and returns the daemon's
 * result. A daemon without this extension closes without a reply: `service_unsupported`.
 */
export async function sendLocalRequest(
  conn: ServiceConn,
  request: LocalRequest,
): Promise<Record<string, unknown>> {
  await writeTaskFrames(conn.writable, [{
    type: FRAME_TYPES.localRequest,
    payload: encodeLocalRequest(request),
  }]);
  const reader = new TaskFrameReader(conn.readable);
  try {
    const frame = await reader.next();
    if (frame === null || frame.type !== FRAME_TYPES.localReply) {
      throw new PilotError(
        "service_unsupported",
        "the daemon did not answer the task request (it may not own a task queue)",
      );
    }
    return parseLocalReply(frame.payload);
  } finally {
    reader.release();
  }
}
