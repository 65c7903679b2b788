/**
 * Daemon lifecycle (cli.md §7): `daemon status` reads `~/.pilot/pilot.pid`, checks the process and
 * asks the daemon for Info over IPC; `daemon stop` signals the PID and waits; `daemon start` and the
 * hidden `_daemon-run` live in daemon_start.ts.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { boolFlag, parseArgs } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { processExists, signalProcess } from "../daemon_process.ts";
import { openDaemon, socketPath } from "../daemon_link.ts";
import { pilotPaths } from "../env.ts";
import { asRecord, readNumber, readString } from "../fields.ts";
import { EXIT, formatUptime, padEnd } from "../render.ts";
import { readPidFile } from "./daemon_pid.ts";
import { runDaemonRun, runStart } from "./daemon_start.ts";

export { processExists, readPidFile, runDaemonRun };

/** `daemon stop` polls every 200 ms for 10 s before SIGKILL (§7.2). */
const STOP_POLL_MS = 200;
const STOP_TIMEOUT_MS = 10_000;

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
  const alive = pid > 0 ? await processExists(pid) : false;
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

async function socketAnswers(ctx: CommandContext): Promise<boolean> {
  try {
    await using ipc = await openDaemon(ctx.env);
    return ipc !== undefined;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `daemon stop` (§7.2); arguments are ignored. */
async function runStop(ctx: CommandContext): Promise<void> {
  const paths = pilotPaths(ctx.env);
  const pid = await readPidFile(paths.pidFile);
  if (pid === 0) {
    if (!(await socketAnswers(ctx))) throw new PilotError("not_running", "daemon is not running");
    throw new PilotError("not_running", "daemon socket is active but PID file is missing", {
      hint: `find and kill the process manually: lsof -U | grep ${await socketPath(ctx.env)}`,
    });
  }
  const alive = await processExists(pid);
  if (alive === undefined) {
    throw new PilotError("internal", `find process: cannot check pid ${pid} under these permissions`);
  }
  if (!alive) {
    await Deno.remove(paths.pidFile).catch(() => {/* already gone */});
    throw new PilotError("not_running", "daemon is not running (cleaned up stale state)");
  }
  await signalProcess(pid, "SIGTERM");
  const deadline = performance.now() + STOP_TIMEOUT_MS;
  while (performance.now() < deadline) {
    await sleep(STOP_POLL_MS);
    if (await processExists(pid) === false) {
      await Deno.remove(paths.pidFile).catch(() => {/* already gone */});
      ctx.out.result({ pid }, `daemon stopped (pid ${pid})`);
      return;
    }
  }
  await signalProcess(pid, "SIGKILL");
  await Deno.remove(paths.pidFile).catch(() => {/* already gone */});
  ctx.out.result({ forced: true, pid }, `daemon force-stopped (pid ${pid})`);
}

/** `daemon start | stop | status`, in the order of the §2.2 hints. */
export const DAEMON_SUBCOMMANDS: Readonly<Record<string, CommandRun>> = {
  start: runStart,
  stop: runStop,
  status: runStatus,
};
