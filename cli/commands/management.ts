/**
 * Management (cli.md §13): `connections` lists the Info object's `conn_list`; `disconnect` closes one
 * connection by ID. The reference's `disconnect` never returns because its client hands the CloseOK to
 * the stream reader instead of the waiting request (§13.2, §20 item 8); our IPC client matches it, so the
 * command returns `{"conn_id": N}` as intended (issue #5).
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { parseUintText } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { clientErrorText, openDaemon } from "../daemon_link.ts";
import { asRecord, readList, readNumber, readString } from "../fields.ts";
import { formatBytes, formatFixed, padEnd } from "../render.ts";
import { fetchInfo, MAX_ROWS } from "./diagnostics.ts";

/** Text of `connections` (§13.1); rows keep their trailing padding. */
export function renderConnections(conns: readonly unknown[]): string {
  if (conns.length === 0) {
    return 'no active connections\n  connect to a peer: pilotctl connect <address|hostname> --message "hello"';
  }
  const lines = [`Active connections: ${conns.length}`, ""];
  const header: [string, number][] = [
    ["ID", 4],
    ["LOCAL", 6],
    ["REMOTE ADDR", 22],
    ["RPORT", 6],
    ["STATE", 11],
    ["CWND", 8],
    ["FLIGHT", 8],
    ["SRTT", 8],
    ["UNACK", 6],
    ["OOO", 6],
    ["PEERWIN", 8],
    ["RCVWIN", 8],
  ];
  lines.push(header.map(([name, width]) => padEnd(name, width)).join("  "));
  for (const item of conns.slice(0, MAX_ROWS)) {
    const c = asRecord(item);
    const num = (key: string) => readNumber(c, key);
    const cells: [string, number][] = [
      [String(num("id")), 4],
      [String(num("local_port")), 6],
      [readString(c, "remote_addr"), 22],
      [String(num("remote_port")), 6],
      [readString(c, "state"), 11],
      [formatBytes(num("cong_win")), 8],
      [formatBytes(num("in_flight")), 8],
      // `%-6.0fms`: the whole milliseconds padded to 6, then the unit.
      [`${padEnd(formatFixed(num("srtt_ms"), 0), 6)}ms`, 8],
      [String(num("unacked")), 6],
      [String(num("ooo_buf")), 6],
      [formatBytes(num("peer_recv_win")), 8],
      [formatBytes(num("recv_win")), 8],
    ];
    lines.push(cells.map(([text, width]) => padEnd(text, width)).join("  "));
    lines.push(
      `      tx: ${formatBytes(num("bytes_sent"))} (${num("segs_sent")} segs)  ` +
        `rx: ${formatBytes(num("bytes_recv"))} (${num("segs_recv")} segs)  retx: ${num("retransmits")}  ` +
        `fast-retx: ${num("fast_retx")}  sack: ${num("sack_sent")}/${num("sack_recv")}  dup-ack: ${
          num("dup_acks")
        }`,
    );
  }
  if (conns.length > MAX_ROWS) {
    lines.push(`\n... and ${conns.length - MAX_ROWS} more connections (showing first ${MAX_ROWS})`);
  }
  return lines.join("\n");
}

/** The `conn_list` of an Info object (`[]` when missing). */
export function connectionList(info: unknown): unknown[] {
  return readList(asRecord(info), "conn_list") ?? [];
}

async function runConnections(ctx: CommandContext): Promise<void> {
  const conns = connectionList(await fetchInfo(ctx));
  ctx.out.result({ connections: conns, total: conns.length }, renderConnections(conns));
}

async function runDisconnect(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) throw new PilotError("invalid_argument", "usage: pilotctl disconnect <conn_id>");
  const connId = parseUintText(ctx.args[0], 32);
  if (typeof connId === "string") {
    throw new PilotError("invalid_argument", `invalid connection ID: ${connId}`);
  }
  await using ipc = await openDaemon(ctx.env);
  try {
    await ipc.closeConnection(connId);
  } catch (cause) {
    throw new PilotError("connection_failed", `disconnect: ${clientErrorText("close", cause)}`, { cause });
  }
  ctx.out.result({ conn_id: connId });
}

/** The management group of the command table. */
export const MANAGEMENT_COMMANDS: Readonly<Record<string, CommandRun>> = {
  connections: runConnections,
  disconnect: runDisconnect,
};
