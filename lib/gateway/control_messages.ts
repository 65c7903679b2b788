/**
 * Messages of the gateway's control socket (our fix for issue #5: `gateway map`, `unmap` and `list`
 * reach the running `gateway start` process instead of a fresh, empty gateway as in the reference).
 * The reference has no such socket, so the format is ours: one JSON object per line, one request and
 * one reply per connection.
 *
 * Requests: `{"op":"map","pilot_addr":"0:0000.0000.0002"[,"local_ip":"…"]}`, `{"op":"unmap","local_ip":"…"}`,
 * `{"op":"list"}`. Replies: `{"type":"mapping","local_ip","pilot_addr"}`, `{"type":"unmapped","local_ip"}`,
 * `{"type":"mappings","mappings":[{"local_ip","pilot_addr"}…]}`, `{"type":"error","code","message"}`.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** Longest line either side accepts; a list of the table's 4096 mappings fits with room to spare. */
export const MAX_CONTROL_LINE = 512 * 1024;

/** A request to the running gateway. */
export type ControlRequest =
  | { readonly op: "map"; readonly pilotAddr: string; readonly localIp?: string }
  | { readonly op: "unmap"; readonly localIp: string }
  | { readonly op: "list" };

/** A mapping as the control socket carries it (text forms). */
export interface ControlMapping {
  readonly localIp: string;
  readonly pilotAddr: string;
}

/** The gateway's answer. */
export type ControlReply =
  | { readonly type: "mapping"; readonly mapping: ControlMapping }
  | { readonly type: "unmapped"; readonly localIp: string }
  | { readonly type: "mappings"; readonly mappings: readonly ControlMapping[] }
  | { readonly type: "error"; readonly code: GatewayErrorCode; readonly message: string };

/** Codes an error reply may carry: the gateway area's own. */
export type GatewayErrorCode = `service_gateway_${string}`;

function bad(message: string): PilotError {
  return new PilotError("service_gateway_bad_message", message);
}

/** One JSON line of `value`. */
function line(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}

/** The wire line of `request`. */
export function encodeControlRequest(request: ControlRequest): string {
  switch (request.op) {
    case "map":
      return line({ op: "map", pilot_addr: request.pilotAddr, local_ip: request.localIp });
    case "unmap":
      return line({ op: "unmap", local_ip: request.localIp });
    case "list":
      return line({ op: "list" });
  }
}

/** The wire line of `reply`. */
export function encodeControlReply(reply: ControlReply): string {
  const mapping = (m: ControlMapping) => ({ local_ip: m.localIp, pilot_addr: m.pilotAddr });
  switch (reply.type) {
    case "mapping":
      return line({ type: "mapping", ...mapping(reply.mapping) });
    case "unmapped":
      return line({ type: "unmapped", local_ip: reply.localIp });
    case "mappings":
      return line({ type: "mappings", mappings: reply.mappings.map(mapping) });
    case "error":
      return line({ type: "error", code: reply.code, message: reply.message });
  }
}

function parseObject(text: string, what: string): Record<string, unknown> {
  if (text.length > MAX_CONTROL_LINE) throw bad(`${what} of ${text.length} bytes (max ${MAX_CONTROL_LINE})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw bad(`${what} is not JSON: ${err instanceof Error ? err.message : err}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad(`${what} is not an object`);
  }
  return Object.fromEntries(Object.entries(value));
}

function text(record: Record<string, unknown>, key: string, what: string): string {
  const value = record[key];
  if (typeof value !== "string") throw bad(`${what}: field ${key} must be a string`);
  return value;
}

function optionalText(record: Record<string, unknown>, key: string, what: string): string | undefined {
  return record[key] === undefined || record[key] === null ? undefined : text(record, key, what);
}

/**
 * Parses one request line.
 *
 * @throws {PilotError} `service_gateway_bad_message`, naming the bad field.
 */
export function parseControlRequest(textLine: string): ControlRequest {
  const record = parseObject(textLine, "request");
  const op = record.op;
  if (op === "map") {
    const localIp = optionalText(record, "local_ip", "map");
    const pilotAddr = text(record, "pilot_addr", "map");
    return localIp === undefined ? { op, pilotAddr } : { op, pilotAddr, localIp };
  }
  if (op === "unmap") return { op, localIp: text(record, "local_ip", "unmap") };
  if (op === "list") return { op };
  throw bad(`request: unknown op ${JSON.stringify(op) ?? "undefined"}`);
}

function parseMapping(value: unknown, what: string): ControlMapping {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw bad(`${what} is not an object`);
  }
  const record = Object.fromEntries(Object.entries(value));
  return { localIp: text(record, "local_ip", what), pilotAddr: text(record, "pilot_addr", what) };
}

/**
 * Parses one reply line.
 *
 * @throws {PilotError} `service_gateway_bad_message`, naming the bad field.
 */
export function parseControlReply(textLine: string): ControlReply {
  const record = parseObject(textLine, "reply");
  switch (record.type) {
    case "mapping":
      return { type: "mapping", mapping: parseMapping(record, "mapping") };
    case "unmapped":
      return { type: "unmapped", localIp: text(record, "local_ip", "unmapped") };
    case "mappings": {
      const list = record.mappings;
      if (!Array.isArray(list)) throw bad("mappings: field mappings must be an array");
      return { type: "mappings", mappings: list.map((item, i) => parseMapping(item, `mappings[${i}]`)) };
    }
    case "error": {
      const code = text(record, "code", "error");
      const message = text(record, "message", "error");
      return { type: "error", code: isGatewayCode(code) ? code : "service_gateway_failed", message };
    }
    default:
      throw bad(`reply: unknown type ${JSON.stringify(record.type) ?? "undefined"}`);
  }
}

/** True for a code of the gateway area (anything else from the socket is not trusted as a code). */
export function isGatewayCode(code: string): code is GatewayErrorCode {
  return /^service_gateway_[a-z_]{1,40}$/.test(code);
}
