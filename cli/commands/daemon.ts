/**
 * Daemon lifecycle (cli.md §7). `daemon status` works now: it reads `~/.pilot/pilot.pid`, checks the
 * process, and asks the daemon for Info over IPC. `daemon start`, `daemon stop` and the internal
 * `_daemon-run` start or signal daemon processes and wait for the daemon's start-up, which lands with
 * issue #5's daemon work; until then they fail with `unavailable` instead of pretending.
 *
 * @module
 */

import process from "node:process";
import { boolFlag, parseArgs } from "../args.ts";
import { type CommandContext, type CommandRun, notImplemented } from "../command.ts";
import { openDaemon, socketPath } from "../daemon_link.ts";
import { pilotPaths } from "../env.ts";
import { asRecord, readNumber, readString } from "../fields.ts";
import { EXIT, formatUptime, padEnd } from "../render.ts";

const MAX_PID_FILE_BYTES = 64;
const MAX_PID = 0x7FFFFFFF;

/** The PID in the PID file (decimal, whitespace trimmed), or 0 when missing or not a number (§7.1). */
export async function readPidFile(path: string): Promise<number> {
  let text: string;
  try {
    const bytes = await Deno.readFile(path);
    if (bytes.byteLength > MAX_PID_FILE_BYTES) return 0;
    text = new TextDecoder().decode(bytes).trim();
  } catch {
    return 0; // missing or unreadable: no PID
  }
  if (!/^\d{1,10}$/.test(text)) return 0;
  const pid = Number(text);
  return pid > 0 && pid <= MAX_PID ? pid : 0;
}

/**
 * Whether process `pid` exists (signal 0). `undefined` when the permissions do not allow asking, which
 * needs unscoped `--allow-run` in Deno; callers must then not treat the PID file as stale.
 */
export function processExists(pid: number): boolean | undefined {
  // 0 and negative PIDs address process groups; never signal those.
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > MAX_PID) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return undefined;
    return false; // ESRCH, or EPERM: not a process we could stop either way
  }
}

function line(label: string, value: string): string {
  return `  ${padEnd(label, 13)}${value}`;
}

/** Text of `daemon status` when the daemon answered Info (§7.3 step 4). */
export function renderStatus(status: Record<string, unknown>, pidRunning: boolean): string {
  const lines = [`Daemon: ${pidRunning ? "running" : "stopped"} (pid ${readNumber(status, "pid")})`];
  lines.push(line("Node ID:", String(readNumber(status, "node_id"))));
  lines.push(line("Address:", readString(status, "address")));
  const hostname = readString(status, "hostname");
  if (hostname !== "") lines.push(line("Hostname:", hostname));
  lines.push(line("Uptime:", formatUptime(readNumber(status, "uptime_secs"))));
  lines.push(line("Peers:", String(readNumber(status, "peers"))));
  lines.push(line("Connections:", String(readNumber(status, "connections"))));
  return lines.join("\n");
}

async function runStatus(ctx: CommandContext): Promise<number> {
  const parsed = parseArgs(ctx.args);
  if (boolFlag(parsed, "check")) {
    // Silent in both modes; the PID file plays no part (§7.3).
    try {
      await using ipc = await openDaemon(ctx.env);
      await ipc.info();
      return EXIT.OK;
    } catch {
      return EXIT.ERROR;
    }
  }
  const paths = pilotPaths(ctx.env);
  const socket = await socketPath(ctx.env);
  const pid = await readPidFile(paths.pidFile);
  const alive = pid > 0 ? processExists(pid) : false;
  const running = alive === true;
  const status: Record<string, unknown> = { pid, pid_file: paths.pidFile, running, socket };
  let ipc;
  try {
    ipc = await openDaemon(ctx.env);
  } catch {
    // Stale PID file: the process is known to be gone (not merely unknowable) and nothing answers.
    if (pid > 0 && alive === false) await Deno.remove(paths.pidFile).catch(() => {/* already gone */});
    status.responsive = false;
    ctx.out.result(status, "Daemon: stopped\n  start with: pilotctl daemon start");
    return EXIT.OK;
  }
  try {
    const info = asRecord(await ipc.info());
    status.responsive = true;
    status.running = true;
    status.node_id = readNumber(info, "node_id");
    status.address = readString(info, "address");
    if (typeof info.hostname === "string") status.hostname = info.hostname;
    status.uptime_secs = readNumber(info, "uptime_secs");
    status.peers = readNumber(info, "peers");
    status.connections = readNumber(info, "connections");
    ctx.out.result(status, renderStatus(status, running));
  } catch {
    status.responsive = false;
    ctx.out.result(status);
  } finally {
    await ipc.close();
  }
  return EXIT.OK;
}

const PROCESS_CONTROL = "starting and signalling daemon processes from pilotctl";

/** `daemon start | stop | status`, in the order of the §2.2 hints. */
export const DAEMON_SUBCOMMANDS: Readonly<Record<string, CommandRun>> = {
  start: notImplemented("daemon start", "issue #5", PROCESS_CONTROL),
  stop: notImplemented("daemon stop", "issue #5", PROCESS_CONTROL),
  status: runStatus,
};

/** The hidden `_daemon-run` (§7.4). */
export const runDaemonRun: CommandRun = notImplemented(
  "_daemon-run",
  "issue #5",
  "the daemon runtime in pilotctl",
);
