/**
 * The sub-commands of the IPC Handshake command (0x0F, control.md §9.4): their values and the codec of
 * the sub-payload that follows the command byte. The HandshakeOK reply is plain JSON and lives with the
 * other replies in messages.ts.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { hexByte, need, text, u32, utf8, viewOf } from "./_bytes.ts";
import { HANDSHAKE_SUBS } from "./constants.ts";

/** One handshake sub-command with its arguments. */
export type IpcHandshakeSub =
  | { readonly sub: "request"; readonly nodeId: number; readonly justification: string }
  | { readonly sub: "approve"; readonly nodeId: number }
  | { readonly sub: "reject"; readonly nodeId: number; readonly reason: string }
  | { readonly sub: "pending" }
  | { readonly sub: "trusted" }
  | { readonly sub: "revoke"; readonly nodeId: number };

/** Name of a handshake sub-command. */
export type IpcHandshakeSubName = IpcHandshakeSub["sub"];

const SUB_CODES: Record<IpcHandshakeSubName, number> = {
  request: HANDSHAKE_SUBS.REQUEST,
  approve: HANDSHAKE_SUBS.APPROVE,
  reject: HANDSHAKE_SUBS.REJECT,
  pending: HANDSHAKE_SUBS.PENDING,
  trusted: HANDSHAKE_SUBS.TRUSTED,
  revoke: HANDSHAKE_SUBS.REVOKE,
};

/** Bytes of a sub-command: `sub u8`, then `node_id u32` and optional UTF-8 text where it has them. */
export function encodeHandshakeSub(value: IpcHandshakeSub): Uint8Array {
  const code = SUB_CODES[value.sub];
  switch (value.sub) {
    case "pending":
    case "trusted":
      return Uint8Array.of(code);
    case "approve":
    case "revoke":
      return withNodeId(code, value.nodeId, new Uint8Array(0));
    case "request":
      return withNodeId(code, value.nodeId, utf8(value.justification));
    case "reject":
      return withNodeId(code, value.nodeId, utf8(value.reason));
    default: {
      const never: never = value;
      throw new Error(`unhandled handshake sub-command ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Reads a sub-payload (the bytes after the command byte). Errors carry the daemon's own texts
 * (`handshake: missing sub-command`, `handshake approve: missing node_id`, `handshake: unknown
 * sub-command 0x09`), so the daemon answers a bad request with the message as it stands.
 */
export function decodeHandshakeSub(payload: Uint8Array): IpcHandshakeSub {
  need(payload, 1, "handshake: missing sub-command");
  const code = payload[0];
  const rest = payload.subarray(1);
  switch (code) {
    case HANDSHAKE_SUBS.PENDING:
      return { sub: "pending" };
    case HANDSHAKE_SUBS.TRUSTED:
      return { sub: "trusted" };
    case HANDSHAKE_SUBS.REQUEST:
      return { sub: "request", nodeId: nodeIdOf(rest, "request"), justification: text(rest.subarray(4)) };
    case HANDSHAKE_SUBS.APPROVE:
      return { sub: "approve", nodeId: nodeIdOf(rest, "approve") };
    case HANDSHAKE_SUBS.REJECT:
      return { sub: "reject", nodeId: nodeIdOf(rest, "reject"), reason: text(rest.subarray(4)) };
    case HANDSHAKE_SUBS.REVOKE:
      return { sub: "revoke", nodeId: nodeIdOf(rest, "revoke") };
    default:
      throw new PilotError("ipc_unknown_command", `handshake: unknown sub-command 0x${hexByte(code)}`);
  }
}

function nodeIdOf(rest: Uint8Array, name: string): number {
  need(rest, 4, `handshake ${name}: missing node_id`);
  return viewOf(rest).getUint32(0);
}

function withNodeId(code: number, nodeId: number, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + tail.byteLength);
  out[0] = code;
  viewOf(out).setUint32(1, u32(nodeId, "nodeId"));
  out.set(tail, 5);
  return out;
}
