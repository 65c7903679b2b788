/**
 * Trust commands (cli.md §12): the IPC Handshake sub-commands (control.md §9.4) and their outputs. The
 * renderers are pure functions of the daemon's HandshakeOK objects, so their layouts are tested from
 * captured replies.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { goQuote, parseAddress } from "../../lib/protocol/mod.ts";
import { parseNodeId, parseUintText } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { clientErrorText, daemonCall, openDaemon } from "../daemon_link.ts";
import { asRecord, readBool, readList, readNumber, readString } from "../fields.ts";
import { formatLocalDateTime, padEnd } from "../render.ts";

/** Text of `handshake` (§12.1) for the daemon's reply status. */
export function renderHandshake(status: string, nodeId: number): string {
  // The daemon never answers `already_trusted` (§12.1 Quirk); the branch is kept for a daemon that does.
  if (status === "already_trusted") return `already trusted with node ${nodeId} — ready to communicate`;
  return [
    `handshake request sent to node ${nodeId}`,
    `  next: node ${nodeId} must approve — or send a handshake back for auto-approval`,
    "  check: pilotctl trust",
  ].join("\n");
}

/** The `pending` list of a HandshakeOK reply; a missing list is empty (§12.5). */
export function pendingList(reply: unknown): unknown[] {
  return readList(asRecord(reply), "pending") ?? [];
}

/** The `trusted` list of a HandshakeOK reply. */
export function trustedList(reply: unknown): unknown[] {
  return readList(asRecord(reply), "trusted") ?? [];
}

/** Text of `pending` (§12.5). */
export function renderPending(pending: readonly unknown[]): string {
  if (pending.length === 0) {
    return "no pending handshake requests\n  requests appear here when another node sends: pilotctl handshake <your-node-id>";
  }
  const row = (a: string, b: string, c: string) => `${padEnd(a, 10)}  ${padEnd(b, 40)}  ${c}`;
  const lines = [row("NODE ID", "JUSTIFICATION", "RECEIVED")];
  for (const item of pending) {
    const entry = asRecord(item);
    lines.push(row(
      String(readNumber(entry, "node_id")),
      readString(entry, "justification"),
      formatLocalDateTime(readNumber(entry, "received_at")),
    ));
  }
  return lines.join("\n");
}

/** Text of `trust` (§12.6). */
export function renderTrusted(trusted: readonly unknown[]): string {
  if (trusted.length === 0) {
    return 'no trusted peers\n  establish trust: pilotctl handshake <node_id|hostname> "reason"';
  }
  const row = (a: string, b: string, c: string, d: string) =>
    `${padEnd(a, 10)}  ${padEnd(b, 10)}  ${padEnd(c, 10)}  ${d}`;
  const lines = [row("NODE ID", "MUTUAL", "NETWORK", "APPROVED AT")];
  for (const item of trusted) {
    const entry = asRecord(item);
    const network = readNumber(entry, "network");
    lines.push(row(
      String(readNumber(entry, "node_id")),
      readBool(entry, "mutual") ? "yes" : "no",
      network === 0 ? "-" : String(network),
      formatLocalDateTime(readNumber(entry, "approved_at")),
    ));
  }
  return lines.join("\n");
}

async function runHandshake(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) {
    throw new PilotError(
      "invalid_argument",
      "usage: pilotctl handshake <node_id|address|hostname> [justification]",
    );
  }
  const [target, justification = ""] = ctx.args;
  await using ipc = await openDaemon(ctx.env);
  // §12.1 step 3: node ID first, then address (its network is ignored), then hostname.
  let nodeId: number;
  const decimal = parseUintText(target, 32);
  if (typeof decimal === "number") {
    nodeId = decimal;
  } else {
    let fromAddress: number | undefined;
    try {
      fromAddress = parseAddress(target).node;
    } catch {
      // Not an address either: the daemon resolves it as a hostname below.
    }
    if (fromAddress !== undefined) {
      nodeId = fromAddress;
      ctx.out.progress(`parsed address ${target} → node ${nodeId}\n`);
    } else {
      let reply: unknown;
      try {
        reply = await ipc.resolveHostname(target);
      } catch (cause) {
        throw new PilotError(
          "not_found",
          `resolve ${goQuote(target)}: ${clientErrorText("resolve_hostname", cause)}`,
          {
            cause,
          },
        );
      }
      nodeId = readNumber(asRecord(reply), "node_id");
      ctx.out.progress(`resolved ${target} → node ${nodeId}\n`);
    }
  }
  const reply = asRecord(
    await daemonCall(
      "handshake",
      "handshake",
      () => ipc.handshake({ sub: "request", nodeId, justification }),
    ),
  );
  ctx.out.result({ ...reply, node_id: nodeId }, renderHandshake(readString(reply, "status"), nodeId));
}

async function runApprove(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) throw new PilotError("invalid_argument", "usage: pilotctl approve <node_id>");
  await using ipc = await openDaemon(ctx.env);
  const nodeId = parseNodeId(ctx.args[0]);
  const reply = await daemonCall("approve", "approve", () => ipc.handshake({ sub: "approve", nodeId }));
  ctx.out.result(reply, `trust established with node ${nodeId}\n  try: pilotctl ping ${nodeId}`);
}

async function runReject(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) {
    throw new PilotError("invalid_argument", "usage: pilotctl reject <node_id> [reason]");
  }
  await using ipc = await openDaemon(ctx.env);
  const nodeId = parseNodeId(ctx.args[0]);
  const reason = ctx.args[1] ?? "";
  const reply = await daemonCall("reject", "reject", () => ipc.handshake({ sub: "reject", nodeId, reason }));
  ctx.out.result(reply, `handshake from node ${nodeId} rejected`);
}

async function runUntrust(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) throw new PilotError("invalid_argument", "usage: pilotctl untrust <node_id>");
  // Its own message format, without the value before the colon, and checked before the daemon (§12.4).
  const nodeId = parseUintText(ctx.args[0], 32);
  if (typeof nodeId === "string") throw new PilotError("invalid_argument", `invalid node_id: ${nodeId}`);
  await using ipc = await openDaemon(ctx.env);
  await daemonCall("untrust", "revoke", () => ipc.handshake({ sub: "revoke", nodeId }));
  ctx.out.result({ node_id: nodeId });
}

async function runPending(ctx: CommandContext): Promise<void> {
  await using ipc = await openDaemon(ctx.env);
  const pending = pendingList(
    await daemonCall("pending", "pending", () => ipc.handshake({ sub: "pending" })),
  );
  ctx.out.result({ pending }, renderPending(pending));
}

async function runTrust(ctx: CommandContext): Promise<void> {
  await using ipc = await openDaemon(ctx.env);
  const trusted = trustedList(await daemonCall("trust", "trusted", () => ipc.handshake({ sub: "trusted" })));
  ctx.out.result({ trusted }, renderTrusted(trusted));
}

/** The trust group of the command table. */
export const TRUST_COMMANDS: Readonly<Record<string, CommandRun>> = {
  handshake: runHandshake,
  approve: runApprove,
  reject: runReject,
  untrust: runUntrust,
  pending: runPending,
  trust: runTrust,
};
