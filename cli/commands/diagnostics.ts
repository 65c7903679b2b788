/**
 * Diagnostics (cli.md §14): `info` and `peers` render the daemon's Info object (control.md §9.3);
 * `broadcast` fails as the reference does; the data-plane probes (`ping`, `traceroute`, `bench`,
 * `listen`) live in probes.ts.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { goQuote } from "../../lib/protocol/mod.ts";
import { parseArgs, stringFlag } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { daemonCall, openDaemon } from "../daemon_link.ts";
import { asRecord, readBool, readList, readNumber, readString } from "../fields.ts";
import { PROBE_COMMANDS } from "./probes.ts";
import { formatBytes, formatFixed, formatUptime, padEnd } from "../render.ts";

/** Rows of a connection list shown at most (§13.1, §14.1). */
export const MAX_ROWS = 50;

function line(label: string, value: string): string {
  return `  ${padEnd(label, 13)}${value}`;
}

/** Text of `info` (§14.1) from the daemon's Info object. */
export function renderInfo(info: unknown): string {
  const o = asRecord(info);
  const lines = ["Pilot Protocol Daemon"];
  lines.push(line("Node ID:", String(readNumber(o, "node_id"))));
  lines.push(line("Address:", readString(o, "address")));
  const hostname = readString(o, "hostname");
  if (hostname !== "") lines.push(line("Hostname:", hostname));
  lines.push(line("Uptime:", formatUptime(readNumber(o, "uptime_secs"))));
  lines.push(line("Connections:", String(readNumber(o, "connections"))));
  lines.push(line("Ports:", String(readNumber(o, "ports"))));
  const peers = readNumber(o, "peers");
  lines.push(line("Peers:", String(peers)));
  lines.push(line(
    "Encryption:",
    readBool(o, "encrypt")
      ? `enabled (X25519 + AES-256-GCM), ${readNumber(o, "encrypted_peers")}/${peers} peers encrypted, ` +
        `${readNumber(o, "authenticated_peers")} authenticated`
      : "disabled",
  ));
  const key = readString(o, "public_key");
  const shortKey = [...key].length > 16 ? `${[...key].slice(0, 16).join("")}...` : key;
  lines.push(
    line(
      "Identity:",
      readBool(o, "identity") ? `persistent (Ed25519 ${shortKey})` : "ephemeral (not persisted)",
    ),
  );
  const owner = readString(o, "owner");
  if (owner !== "") lines.push(line("Owner:", owner));
  lines.push(line(
    "Traffic:",
    `${formatBytes(readNumber(o, "bytes_sent"))} sent / ${formatBytes(readNumber(o, "bytes_recv"))} recv`,
  ));
  lines.push(line("Packets:", `${readNumber(o, "pkts_sent")} sent / ${readNumber(o, "pkts_recv")} recv`));
  const conns = readList(o, "conn_list") ?? [];
  if (conns.length > 0) {
    lines.push("", `Active connections: ${conns.length}`);
    lines.push(
      `  ${padEnd("ID", 4)}  ${padEnd("LOCAL", 6)}  ${padEnd("REMOTE ADDR", 22)}  ${padEnd("RPORT", 6)}  ` +
        `${padEnd("STATE", 11)}  ${padEnd("CWND", 8)}  ${padEnd("FLIGHT", 8)}  ${padEnd("SRTT", 6)}`,
    );
    for (const item of conns.slice(0, MAX_ROWS)) {
      const c = asRecord(item);
      const recovery = readBool(c, "in_recovery") ? " [RECOVERY]" : "";
      lines.push(
        `  ${padEnd(String(readNumber(c, "id")), 4)}  ${padEnd(String(readNumber(c, "local_port")), 6)}  ` +
          `${padEnd(readString(c, "remote_addr"), 22)}  ${
            padEnd(String(readNumber(c, "remote_port")), 6)
          }  ` +
          `${padEnd(readString(c, "state"), 11)}  ${padEnd(formatBytes(readNumber(c, "cong_win")), 8)}  ` +
          `${padEnd(formatBytes(readNumber(c, "in_flight")), 8)}  ${
            formatFixed(readNumber(c, "srtt_ms"), 0)
          }ms` +
          recovery,
      );
    }
    if (conns.length > MAX_ROWS) {
      lines.push(`\n  ... and ${conns.length - MAX_ROWS} more connections (showing first ${MAX_ROWS})`);
    }
  }
  return lines.join("\n");
}

/** The peers `peers --search <query>` keeps (§14.2): substring of the node ID or the lower-cased endpoint. */
export function filterPeers(info: unknown, query: string): unknown[] {
  const peers = readList(asRecord(info), "peer_list") ?? [];
  const needle = query.toLowerCase();
  if (needle === "") return peers;
  return peers.filter((item) => {
    const p = asRecord(item);
    return String(readNumber(p, "node_id")).includes(needle) ||
      readString(p, "endpoint").toLowerCase().includes(needle);
  });
}

/** Text of `peers` (§14.2). */
export function renderPeers(peers: readonly unknown[], query: string): string {
  if (peers.length === 0) {
    return query === ""
      ? "no peers connected\n  peers appear when you communicate with other nodes"
      : `no peers matching ${goQuote(query)}`;
  }
  const row = (a: string, b: string, c: string, d: string) =>
    `${padEnd(a, 10)}  ${padEnd(b, 30)}  ${padEnd(c, 20)}  ${d}`;
  const lines = [row("NODE ID", "ENDPOINT", "ENCRYPTED", "AUTH")];
  for (const item of peers.slice(0, MAX_ROWS)) {
    const p = asRecord(item);
    lines.push(row(
      String(readNumber(p, "node_id")),
      readString(p, "endpoint"),
      readBool(p, "encrypted") ? "yes (AES-256-GCM)" : "no",
      readBool(p, "authenticated") ? "yes (Ed25519)" : "no",
    ));
  }
  if (peers.length > MAX_ROWS) {
    lines.push(`\n... and ${peers.length - MAX_ROWS} more peers (showing first ${MAX_ROWS})`);
  }
  return lines.join("\n");
}

/** IPC Info with the `info: <client error>` wrapper that `info`, `peers` and `connections` share. */
export async function fetchInfo(ctx: CommandContext): Promise<unknown> {
  await using ipc = await openDaemon(ctx.env);
  return await daemonCall("info", "info", () => ipc.info());
}

async function runInfo(ctx: CommandContext): Promise<void> {
  const info = await fetchInfo(ctx);
  ctx.out.result(info, renderInfo(info));
}

async function runPeers(ctx: CommandContext): Promise<void> {
  const query = stringFlag(parseArgs(ctx.args), "search");
  const peers = filterPeers(await fetchInfo(ctx), query);
  // `null` rather than `[]` when nothing is listed, as the reference prints (§14.2, §20 item 10).
  ctx.out.result(
    { peers: peers.length === 0 ? null : peers, total: peers.length },
    renderPeers(peers, query),
  );
}

function runBroadcast(): Promise<void> {
  return Promise.reject(
    new PilotError("service_unavailable", "broadcast is not available yet — custom networks are WIP"),
  );
}

/** The diagnostics group of the command table. */
export const DIAGNOSTIC_COMMANDS: Readonly<Record<string, CommandRun>> = {
  info: runInfo,
  peers: runPeers,
  ...PROBE_COMMANDS,
  broadcast: runBroadcast,
};
