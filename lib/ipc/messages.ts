/**
 * Every IPC command of control.md §9.2 as a value, and the pure codec between those values and frame
 * bodies (command byte + payload). Framing, limits and I/O belong to frame_stream.ts, server.ts and
 * client.ts.
 *
 * Decoding rules: data payloads (Send, Recv, SendTo, RecvFrom) are views into the body, never copies;
 * fixed fields are read from the front and trailing bytes ignored, as the reference does; JSON replies
 * keep the parsed value and the exact bytes, so a relayed registry object goes out unchanged. Errors of
 * driver commands carry the daemon's own error texts (`bind: missing port`, ...), so the daemon can
 * answer a malformed request with the message of the error.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { type Address, decodeAddress, encodeAddress } from "../protocol/mod.ts";
import { hexByte, need, parseJsonBytes, text, u16, u32, utf8, viewOf } from "./_bytes.ts";
import { IPC_COMMANDS, IPC_PREFIX_SIZE } from "./constants.ts";
import { decodeHandshakeSub, encodeHandshakeSub, type IpcHandshakeSub } from "./handshake.ts";
import { formatSortedJson } from "./json.ts";

/** Kinds whose payload is a JSON reply from the daemon. */
export type IpcJsonReplyKind =
  | "info_ok"
  | "handshake_ok"
  | "resolve_hostname_ok"
  | "set_hostname_ok"
  | "set_visibility_ok"
  | "deregister_ok"
  | "set_tags_ok"
  | "set_webhook_ok"
  | "set_task_exec_ok";

/**
 * A JSON reply. Decoding fills both fields; to encode, give `json` (written with sorted keys, as the
 * reference does) or `raw` (written verbatim, e.g. the registry's object in ResolveHostnameOK).
 */
export interface IpcJsonReply<K extends IpcJsonReplyKind = IpcJsonReplyKind> {
  readonly kind: K;
  readonly json: unknown;
  readonly raw?: Uint8Array;
}

/** Driver → daemon commands. */
export type IpcRequest =
  | { readonly kind: "bind"; readonly port: number }
  | { readonly kind: "dial"; readonly address: Address; readonly port: number }
  | { readonly kind: "send"; readonly connId: number; readonly data: Uint8Array }
  | { readonly kind: "close"; readonly connId: number }
  | { readonly kind: "send_to"; readonly address: Address; readonly port: number; readonly data: Uint8Array }
  | { readonly kind: "info" }
  | ({ readonly kind: "handshake" } & IpcHandshakeSub)
  | { readonly kind: "resolve_hostname"; readonly hostname: string }
  | { readonly kind: "set_hostname"; readonly hostname: string }
  | { readonly kind: "set_visibility"; readonly public: boolean }
  | { readonly kind: "deregister" }
  | { readonly kind: "set_tags"; readonly tags: readonly string[] }
  | { readonly kind: "set_webhook"; readonly url: string }
  | { readonly kind: "set_task_exec"; readonly enabled: boolean };

/** Daemon → driver replies and pushes. */
export type IpcReply =
  | { readonly kind: "bind_ok"; readonly port: number }
  | { readonly kind: "dial_ok"; readonly connId: number }
  | {
    readonly kind: "accept";
    readonly localPort: number;
    readonly connId: number;
    readonly remoteAddress: Address;
    readonly remotePort: number;
  }
  | { readonly kind: "recv"; readonly connId: number; readonly data: Uint8Array }
  | { readonly kind: "close_ok"; readonly connId: number }
  | { readonly kind: "error"; readonly code: number; readonly message: string }
  | {
    readonly kind: "recv_from";
    readonly srcAddress: Address;
    readonly srcPort: number;
    readonly dstPort: number;
    readonly data: Uint8Array;
  }
  | IpcJsonReply;

/** Any IPC message, either direction. */
export type IpcMessage = IpcRequest | IpcReply;

/** The `kind` of a message. */
export type IpcKind = IpcMessage["kind"];

/** Command code of each kind (control.md §9.2). */
export const IPC_KIND_CODES: Readonly<Record<IpcKind, number>> = {
  bind: IPC_COMMANDS.BIND,
  bind_ok: IPC_COMMANDS.BIND_OK,
  dial: IPC_COMMANDS.DIAL,
  dial_ok: IPC_COMMANDS.DIAL_OK,
  accept: IPC_COMMANDS.ACCEPT,
  send: IPC_COMMANDS.SEND,
  recv: IPC_COMMANDS.RECV,
  close: IPC_COMMANDS.CLOSE,
  close_ok: IPC_COMMANDS.CLOSE_OK,
  error: IPC_COMMANDS.ERROR,
  send_to: IPC_COMMANDS.SEND_TO,
  recv_from: IPC_COMMANDS.RECV_FROM,
  info: IPC_COMMANDS.INFO,
  info_ok: IPC_COMMANDS.INFO_OK,
  handshake: IPC_COMMANDS.HANDSHAKE,
  handshake_ok: IPC_COMMANDS.HANDSHAKE_OK,
  resolve_hostname: IPC_COMMANDS.RESOLVE_HOSTNAME,
  resolve_hostname_ok: IPC_COMMANDS.RESOLVE_HOSTNAME_OK,
  set_hostname: IPC_COMMANDS.SET_HOSTNAME,
  set_hostname_ok: IPC_COMMANDS.SET_HOSTNAME_OK,
  set_visibility: IPC_COMMANDS.SET_VISIBILITY,
  set_visibility_ok: IPC_COMMANDS.SET_VISIBILITY_OK,
  deregister: IPC_COMMANDS.DEREGISTER,
  deregister_ok: IPC_COMMANDS.DEREGISTER_OK,
  set_tags: IPC_COMMANDS.SET_TAGS,
  set_tags_ok: IPC_COMMANDS.SET_TAGS_OK,
  set_webhook: IPC_COMMANDS.SET_WEBHOOK,
  set_webhook_ok: IPC_COMMANDS.SET_WEBHOOK_OK,
  set_task_exec: IPC_COMMANDS.SET_TASK_EXEC,
  set_task_exec_ok: IPC_COMMANDS.SET_TASK_EXEC_OK,
};

/** True for codes the daemon executes (D→d); the daemon answers any other code as unknown. */
export function isRequestCode(code: number): boolean {
  // Spelled out: direction does not follow the code's parity (Send is 0x06, Accept 0x05).
  return REQUEST_CODES.has(code);
}

const REQUEST_CODES: ReadonlySet<number> = new Set([
  IPC_COMMANDS.BIND,
  IPC_COMMANDS.DIAL,
  IPC_COMMANDS.SEND,
  IPC_COMMANDS.CLOSE,
  IPC_COMMANDS.SEND_TO,
  IPC_COMMANDS.INFO,
  IPC_COMMANDS.HANDSHAKE,
  IPC_COMMANDS.RESOLVE_HOSTNAME,
  IPC_COMMANDS.SET_HOSTNAME,
  IPC_COMMANDS.SET_VISIBILITY,
  IPC_COMMANDS.DEREGISTER,
  IPC_COMMANDS.SET_TAGS,
  IPC_COMMANDS.SET_WEBHOOK,
  IPC_COMMANDS.SET_TASK_EXEC,
]);

/** The daemon's text for a code it does not know: `unknown command: 0x7F` (control.md §9.2). */
export function unknownCommandText(code: number): string {
  return `unknown command: 0x${hexByte(code)}`;
}

/**
 * Encodes `msg` as a frame body: command byte + payload.
 *
 * @example
 * ```ts
 * import { encodeIpcMessage } from "./messages.ts";
 * const body = encodeIpcMessage({ kind: "bind", port: 3000 });
 * if (body.join(",") !== "1,11,184") throw new Error("Bind 3000 is 01 0bb8");
 * ```
 */
export function encodeIpcMessage(msg: IpcMessage): Uint8Array {
  const [head, tail] = encodeParts(msg);
  if (tail.byteLength === 0) return head;
  const out = new Uint8Array(head.byteLength + tail.byteLength);
  out.set(head, 0);
  out.set(tail, head.byteLength);
  return out;
}

/** Encodes `msg` as a whole frame, length prefix included, in one allocation. */
export function encodeIpcFrame(msg: IpcMessage): Uint8Array {
  const [head, tail] = encodeParts(msg);
  const bodySize = head.byteLength + tail.byteLength;
  const out = new Uint8Array(IPC_PREFIX_SIZE + bodySize);
  viewOf(out).setUint32(0, bodySize);
  out.set(head, IPC_PREFIX_SIZE);
  out.set(tail, IPC_PREFIX_SIZE + head.byteLength);
  return out;
}

/**
 * A frame as two pieces to write in order: prefix + fixed fields, then the variable part (a view of the
 * caller's data for Send/SendTo), so writing a large Send never copies its data.
 */
export function encodeIpcFrameParts(msg: IpcMessage): [Uint8Array, Uint8Array] {
  const [head, tail] = encodeParts(msg);
  const first = new Uint8Array(IPC_PREFIX_SIZE + head.byteLength);
  viewOf(first).setUint32(0, head.byteLength + tail.byteLength);
  first.set(head, IPC_PREFIX_SIZE);
  return [first, tail];
}

const EMPTY = new Uint8Array(0);

function encodeParts(msg: IpcMessage): [Uint8Array, Uint8Array] {
  const code = IPC_KIND_CODES[msg.kind];
  switch (msg.kind) {
    case "info":
    case "deregister":
      return [Uint8Array.of(code), EMPTY];
    case "bind":
    case "bind_ok":
      return [fixed(code, 2, (v) => v.setUint16(1, u16(msg.port, "port"))), EMPTY];
    case "dial":
      return [
        fixed(code, 8, (v, out) => {
          encodeAddress(msg.address, out, 1);
          v.setUint16(7, u16(msg.port, "port"));
        }),
        EMPTY,
      ];
    case "dial_ok":
    case "close":
    case "close_ok":
      return [fixed(code, 4, (v) => v.setUint32(1, u32(msg.connId, "connId"))), EMPTY];
    case "accept":
      return [
        fixed(code, 14, (v, out) => {
          v.setUint16(1, u16(msg.localPort, "localPort"));
          v.setUint32(3, u32(msg.connId, "connId"));
          encodeAddress(msg.remoteAddress, out, 7);
          v.setUint16(13, u16(msg.remotePort, "remotePort"));
        }),
        EMPTY,
      ];
    case "send":
    case "recv":
      return [fixed(code, 4, (v) => v.setUint32(1, u32(msg.connId, "connId"))), msg.data];
    case "send_to":
      return [
        fixed(code, 8, (v, out) => {
          encodeAddress(msg.address, out, 1);
          v.setUint16(7, u16(msg.port, "port"));
        }),
        msg.data,
      ];
    case "recv_from":
      return [
        fixed(code, 10, (v, out) => {
          encodeAddress(msg.srcAddress, out, 1);
          v.setUint16(7, u16(msg.srcPort, "srcPort"));
          v.setUint16(9, u16(msg.dstPort, "dstPort"));
        }),
        msg.data,
      ];
    case "error":
      return [fixed(code, 2, (v) => v.setUint16(1, u16(msg.code, "code"))), utf8(msg.message)];
    case "handshake":
      return [Uint8Array.of(code), encodeHandshakeSub(msg)];
    case "resolve_hostname":
    case "set_hostname":
      return [Uint8Array.of(code), utf8(msg.hostname)];
    case "set_webhook":
      return [Uint8Array.of(code), utf8(msg.url)];
    case "set_visibility":
      return [Uint8Array.of(code, msg.public ? 1 : 0), EMPTY];
    case "set_task_exec":
      return [Uint8Array.of(code, msg.enabled ? 1 : 0), EMPTY];
    case "set_tags":
      return [Uint8Array.of(code), utf8(formatSortedJson(msg.tags))];
    case "info_ok":
    case "handshake_ok":
    case "resolve_hostname_ok":
    case "set_hostname_ok":
    case "set_visibility_ok":
    case "deregister_ok":
    case "set_tags_ok":
    case "set_webhook_ok":
    case "set_task_exec_ok":
      return [Uint8Array.of(code), msg.raw ?? utf8(formatSortedJson(msg.json))];
    default: {
      const never: never = msg;
      throw new Error(`unhandled IPC message ${JSON.stringify(never)}`);
    }
  }
}

function fixed(
  code: number,
  payloadSize: number,
  write: (view: DataView, out: Uint8Array) => void,
): Uint8Array {
  const out = new Uint8Array(1 + payloadSize);
  out[0] = code;
  write(viewOf(out), out);
  return out;
}

/**
 * Decodes a frame body. Throws `PilotError` with `ipc_truncated` (payload too short for its fixed
 * fields), `ipc_unknown_command` (code not in §9.2, or a handshake sub-command not in §9.4) or
 * `ipc_bad_json` (a JSON payload that does not parse).
 *
 * @example
 * ```ts
 * import { decodeIpcMessage } from "./messages.ts";
 * const msg = decodeIpcMessage(Uint8Array.of(0x09, 0, 0, 0, 2));
 * if (msg.kind !== "close_ok" || msg.connId !== 2) throw new Error("CloseOK conn 2");
 * ```
 */
export function decodeIpcMessage(body: Uint8Array): IpcMessage {
  need(body, 1, "empty IPC body");
  const code = body[0];
  const p = body.subarray(1);
  const v = viewOf(p);
  switch (code) {
    case IPC_COMMANDS.BIND:
      need(p, 2, "bind: missing port");
      return { kind: "bind", port: v.getUint16(0) };
    case IPC_COMMANDS.BIND_OK:
      need(p, 2, "bind_ok: missing port");
      return { kind: "bind_ok", port: v.getUint16(0) };
    case IPC_COMMANDS.DIAL:
      need(p, 8, "dial: missing address/port");
      return { kind: "dial", address: decodeAddress(p, 0), port: v.getUint16(6) };
    case IPC_COMMANDS.DIAL_OK:
      need(p, 4, "dial_ok: missing conn_id");
      return { kind: "dial_ok", connId: v.getUint32(0) };
    case IPC_COMMANDS.ACCEPT:
      need(p, 14, `accept: payload needs 14 bytes, got ${p.byteLength}`);
      return {
        kind: "accept",
        localPort: v.getUint16(0),
        connId: v.getUint32(2),
        remoteAddress: decodeAddress(p, 6),
        remotePort: v.getUint16(12),
      };
    case IPC_COMMANDS.SEND:
      need(p, 4, "send: missing conn_id");
      return { kind: "send", connId: v.getUint32(0), data: p.subarray(4) };
    case IPC_COMMANDS.RECV:
      need(p, 4, "recv: missing conn_id");
      return { kind: "recv", connId: v.getUint32(0), data: p.subarray(4) };
    case IPC_COMMANDS.CLOSE:
      need(p, 4, "close: missing conn_id");
      return { kind: "close", connId: v.getUint32(0) };
    case IPC_COMMANDS.CLOSE_OK:
      need(p, 4, "close_ok: missing conn_id");
      return { kind: "close_ok", connId: v.getUint32(0) };
    case IPC_COMMANDS.ERROR:
      need(p, 2, "error: missing code");
      return { kind: "error", code: v.getUint16(0), message: text(p.subarray(2)) };
    case IPC_COMMANDS.SEND_TO:
      need(p, 8, "sendto: missing address/port");
      return { kind: "send_to", address: decodeAddress(p, 0), port: v.getUint16(6), data: p.subarray(8) };
    case IPC_COMMANDS.RECV_FROM:
      need(p, 10, `recv_from: payload needs 10 bytes, got ${p.byteLength}`);
      return {
        kind: "recv_from",
        srcAddress: decodeAddress(p, 0),
        srcPort: v.getUint16(6),
        dstPort: v.getUint16(8),
        data: p.subarray(10),
      };
    case IPC_COMMANDS.INFO:
      return { kind: "info" };
    case IPC_COMMANDS.HANDSHAKE:
      return { kind: "handshake", ...decodeHandshakeSub(p) };
    case IPC_COMMANDS.RESOLVE_HOSTNAME:
      need(p, 1, "resolve_hostname: missing hostname");
      return { kind: "resolve_hostname", hostname: text(p) };
    case IPC_COMMANDS.SET_HOSTNAME:
      return { kind: "set_hostname", hostname: text(p) };
    case IPC_COMMANDS.SET_VISIBILITY:
      need(p, 1, "set_visibility: missing value");
      return { kind: "set_visibility", public: p[0] === 1 };
    case IPC_COMMANDS.DEREGISTER:
      return { kind: "deregister" };
    case IPC_COMMANDS.SET_TAGS:
      return { kind: "set_tags", tags: parseTags(p) };
    case IPC_COMMANDS.SET_WEBHOOK:
      return { kind: "set_webhook", url: text(p) };
    case IPC_COMMANDS.SET_TASK_EXEC:
      need(p, 1, "set_task_exec: missing value");
      return { kind: "set_task_exec", enabled: p[0] === 1 };
    default: {
      const kind = JSON_REPLY_KINDS.get(code);
      if (kind === undefined) throw new PilotError("ipc_unknown_command", unknownCommandText(code));
      return { kind, json: parseJsonBytes(p, kind), raw: p };
    }
  }
}

const JSON_REPLY_KINDS: ReadonlyMap<number, IpcJsonReplyKind> = new Map([
  [IPC_COMMANDS.INFO_OK, "info_ok"],
  [IPC_COMMANDS.HANDSHAKE_OK, "handshake_ok"],
  [IPC_COMMANDS.RESOLVE_HOSTNAME_OK, "resolve_hostname_ok"],
  [IPC_COMMANDS.SET_HOSTNAME_OK, "set_hostname_ok"],
  [IPC_COMMANDS.SET_VISIBILITY_OK, "set_visibility_ok"],
  [IPC_COMMANDS.DEREGISTER_OK, "deregister_ok"],
  [IPC_COMMANDS.SET_TAGS_OK, "set_tags_ok"],
  [IPC_COMMANDS.SET_WEBHOOK_OK, "set_webhook_ok"],
  [IPC_COMMANDS.SET_TASK_EXEC_OK, "set_task_exec_ok"],
]);

// The daemon reads SetTags as a JSON array of strings; anything else is the same error as bad JSON.
function parseTags(payload: Uint8Array): string[] {
  const value = parseJsonBytes(payload, "set_tags");
  if (!Array.isArray(value)) {
    throw new PilotError("ipc_bad_json", "set_tags: invalid JSON: expected an array of strings");
  }
  const tags: string[] = [];
  for (const [index, item] of value.entries()) {
    if (typeof item !== "string") {
      throw new PilotError("ipc_bad_json", `set_tags: invalid JSON: entry ${index} is not a string`);
    }
    tags.push(item);
  }
  return tags;
}
