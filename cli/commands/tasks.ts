/**
 * Task commands (cli.md §11, services.md §6.9). The daemon owns the task queue and every state change,
 * so `submit`, `accept`, `decline`, `execute` and `send-results` check their arguments here and then
 * ask the daemon: a connection from the node to its own port 1003 carrying one local request
 * (`lib/services/task_submit/local_request.ts`); the daemon's answer is the command's output. `list`
 * and `queue` read the task files and need no daemon.
 *
 * Deviation: the reference changes the local file first and then fails with `not_running` when the
 * daemon is down (§20 item 14); here nothing changes unless the daemon does it.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { dialStream, type IpcClient } from "../../lib/ipc/mod.ts";
import { type Address, formatAddress, parseAddress, PORTS } from "../../lib/protocol/mod.ts";
import {
  ALLOWED_RESULT_EXTENSIONS,
  inQueueOrder,
  type LocalRequest,
  MAX_RESULT_FILE_BYTES,
  sendLocalRequest,
  type TaskFile,
  TaskStore,
} from "../../lib/services/task_submit/mod.ts";
import { parseArgs, requirePositionals, stringFlag } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { closeAndWait, resolveTarget } from "../data_plane.ts";
import { openDaemon } from "../daemon_link.ts";
import { pilotPaths } from "../env.ts";
import { asRecord, readString } from "../fields.ts";

/** Our own address, from the daemon's Info. */
async function ownAddress(ipc: IpcClient): Promise<Address> {
  const text = readString(asRecord(await ipc.info()), "address");
  try {
    return parseAddress(text);
  } catch (cause) {
    throw new PilotError("connection_failed", `info: daemon reported no address (${text})`, { cause });
  }
}

/** One local request to our own daemon's task service. */
async function askDaemon(ipc: IpcClient, request: LocalRequest): Promise<Record<string, unknown>> {
  const self = await ownAddress(ipc);
  let conn;
  try {
    conn = await dialStream(ipc, self, PORTS.TASK_SUBMIT);
  } catch (cause) {
    throw new PilotError("connection_failed", "the task service (port 1003) is not running on this node", {
      hint: "start the daemon without -no-tasksubmit",
      cause,
    });
  }
  try {
    return await sendLocalRequest(conn, request);
  } finally {
    await closeAndWait(conn);
  }
}

async function runSubmit(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 1, "usage: pilotctl task submit <address|hostname> --task <description>");
  await using ipc = await openDaemon(ctx.env);
  const target = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const description = stringFlag(parsed, "task");
  if (description === "") throw new PilotError("invalid_argument", "--task is required");
  ctx.out.result(await askDaemon(ipc, { op: "submit", target: formatAddress(target), description }));
}

function requireId(ctx: CommandContext): { id: string; parsed: ReturnType<typeof parseArgs> } {
  const parsed = parseArgs(ctx.args);
  const id = stringFlag(parsed, "id");
  if (id === "") throw new PilotError("invalid_argument", "--id is required");
  return { id, parsed };
}

async function runAccept(ctx: CommandContext): Promise<void> {
  const { id } = requireId(ctx);
  await using ipc = await openDaemon(ctx.env);
  ctx.out.result(await askDaemon(ipc, { op: "accept", taskId: id }));
}

async function runDecline(ctx: CommandContext): Promise<void> {
  const { id, parsed } = requireId(ctx);
  const justification = stringFlag(parsed, "justification");
  if (justification === "") throw new PilotError("invalid_argument", "--justification is required");
  await using ipc = await openDaemon(ctx.env);
  ctx.out.result(await askDaemon(ipc, { op: "decline", taskId: id, justification }));
}

async function runExecute(ctx: CommandContext): Promise<void> {
  await using ipc = await openDaemon(ctx.env);
  ctx.out.result(await askDaemon(ipc, { op: "execute" }));
}

/** The extension rule of §11.6: text after the base name's last dot, lower-cased, with the dot. */
export function resultExtension(path: string): string {
  const base = path.split("/").pop() ?? path;
  const dot = base.lastIndexOf(".");
  return dot === -1 ? "" : base.slice(dot).toLowerCase();
}

async function readResultFile(path: string): Promise<{ name: string; data: Uint8Array }> {
  const ext = resultExtension(path);
  if (!ALLOWED_RESULT_EXTENSIONS.has(ext)) {
    throw new PilotError("invalid_argument", `file type ${JSON.stringify(ext)} not allowed for results`);
  }
  let data: Uint8Array;
  try {
    data = await Deno.readFile(path);
  } catch (err) {
    const detail = err instanceof Deno.errors.NotFound
      ? `open ${path}: no such file or directory`
      : err instanceof Error
      ? err.message
      : String(err);
    throw new PilotError("service_internal_error", `failed to read file: ${detail}`, { cause: err });
  }
  if (data.byteLength > MAX_RESULT_FILE_BYTES) {
    throw new PilotError(
      "invalid_argument",
      `file too large for results: ${data.byteLength} bytes (limit ${MAX_RESULT_FILE_BYTES})`,
      { hint: "a result travels in one 16 MiB frame; send large files with pilotctl send-file" },
    );
  }
  return { name: path.split("/").pop() ?? path, data };
}

async function runSendResults(ctx: CommandContext): Promise<void> {
  const { id, parsed } = requireId(ctx);
  const text = stringFlag(parsed, "results");
  const path = stringFlag(parsed, "file");
  if (text === "" && path === "") {
    throw new PilotError("invalid_argument", "either --results or --file is required");
  }
  // The file wins when both are given (§11.6 step 3).
  const request: LocalRequest = path !== ""
    ? { op: "send_results", taskId: id, file: await readResultFile(path) }
    : { op: "send_results", taskId: id, text };
  await using ipc = await openDaemon(ctx.env);
  ctx.out.result(await askDaemon(ipc, request));
}

async function readSide(store: TaskStore, side: "received" | "submitted"): Promise<TaskFile[]> {
  try {
    return await store.list(side);
  } catch (err) {
    throw new PilotError("service_internal_error", err instanceof Error ? err.message : String(err), {
      cause: err,
    });
  }
}

async function runList(ctx: CommandContext): Promise<void> {
  const type = stringFlag(parseArgs(ctx.args), "type");
  const store = new TaskStore(pilotPaths(ctx.env).home);
  const records: Array<Record<string, string>> = [];
  for (const side of ["received", "submitted"] as const) {
    if (type !== "" && type !== side) continue;
    for (const t of await readSide(store, side)) {
      records.push({
        task_id: t.taskId,
        description: t.description,
        status: t.status,
        from: t.from,
        to: t.to,
        created_at: t.createdAt,
        category: side,
      });
    }
  }
  const text = records.length === 0
    ? "No tasks found"
    : records.map((r) =>
      `[${r.category}] ${r.task_id} (${r.status}) - ${r.description}\n  From: ${r.from} → To: ${r.to}`
    ).join("\n");
  ctx.out.result({ tasks: records }, text);
}

async function runQueue(ctx: CommandContext): Promise<void> {
  const store = new TaskStore(pilotPaths(ctx.env).home);
  const queued = inQueueOrder(await readSide(store, "received"));
  if (queued.length === 0) {
    ctx.out.result({ queue: [] }, "Queue is empty");
    return;
  }
  const queue = queued.map((t) => ({
    task_id: t.taskId,
    description: t.description,
    from: t.from,
    created_at: t.createdAt,
  }));
  const lines = [`Queued tasks (${queue.length}):`];
  queue.forEach((t, i) => lines.push(`  ${i + 1}. ${t.task_id}: ${t.description}`, `     From: ${t.from}`));
  ctx.out.result({ queue, count: queue.length }, lines.join("\n"));
}

/** `task submit | accept | decline | execute | send-results | list | queue`. */
export const TASK_SUBCOMMANDS: Readonly<Record<string, CommandRun>> = {
  submit: runSubmit,
  accept: runAccept,
  decline: runDecline,
  execute: runExecute,
  "send-results": runSendResults,
  list: runList,
  queue: runQueue,
};
