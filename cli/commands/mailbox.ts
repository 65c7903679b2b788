/**
 * Mailbox commands (cli.md §15): `received` and `inbox` list or clear what the daemon's data-exchange
 * service stored under `~/.pilot/received/` and `~/.pilot/inbox/` (services.md §4.3–§4.4). They read the
 * directories directly and never contact the daemon.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { boolFlag, parseArgs } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import type { CliEnvironment } from "../env.ts";
import { asRecord, isRecord } from "../fields.ts";
import { formatBytes, formatRfc3339Local, padEnd } from "../render.ts";

/** Entries looked at per directory; a mailbox beyond this is not one the daemon wrote. */
const MAX_ENTRIES = 100_000;
/** Inbox files larger than this are skipped like unreadable ones, so one file cannot exhaust memory. */
const MAX_MESSAGE_FILE_BYTES = 64 << 20;
/** Bytes of `data` shown per inbox message (§15.2). */
const PREVIEW_BYTES = 80;

function mailboxDir(env: CliEnvironment, name: string): string {
  const home = env.get("HOME");
  if (home === undefined || home === "") throw new PilotError("internal", "cannot determine home directory");
  return `${home}/.pilot/${name}`;
}

/** File entries of `dir` in name order, or `undefined` when it does not exist. */
async function listFiles(dir: string): Promise<string[] | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory) names.push(entry.name);
      if (names.length >= MAX_ENTRIES) break;
    }
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return undefined;
    throw new PilotError("internal", `read directory: ${cause instanceof Error ? cause.message : cause}`, {
      cause,
    });
  }
  // Byte order of the names, as the reference's directory listing sorts them.
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function clearFiles(dir: string, emptyMessage: string): Promise<number> {
  const names = await listFiles(dir);
  if (names === undefined) throw new PilotError("not_found", emptyMessage);
  for (const name of names) {
    // Deletion errors are ignored and still counted (§15.1).
    await Deno.remove(`${dir}/${name}`).catch(() => {});
  }
  return names.length;
}

/** One received file as listed by `received` (§15.1). */
export interface ReceivedFile {
  bytes: number;
  modified: string;
  name: string;
  path: string;
}

/** Text of `received` (§15.1). */
export function renderReceived(dir: string, files: readonly ReceivedFile[]): string {
  if (files.length === 0) {
    return "no received files\n  files appear here when someone sends: pilotctl send-file <your-hostname> <file>";
  }
  const row = (a: string, b: string, c: string) => `  ${padEnd(a, 40)}  ${padEnd(b, 10)}  ${c}`;
  const lines = [`Received files (${dir}):`, "", row("NAME", "SIZE", "RECEIVED")];
  for (const file of files) lines.push(row(file.name, formatBytes(file.bytes), file.modified));
  lines.push("", `total: ${files.length}`);
  return lines.join("\n");
}

async function runReceived(ctx: CommandContext): Promise<void> {
  const dir = mailboxDir(ctx.env, "received");
  if (boolFlag(parseArgs(ctx.args), "clear")) {
    const cleared = await clearFiles(dir, "no received files");
    ctx.out.result({ cleared }, `cleared ${cleared} received file(s)`);
    return;
  }
  const names = await listFiles(dir);
  if (names === undefined) {
    ctx.out.result({ files: [], total: 0 }, renderReceived(dir, []));
    return;
  }
  const files: ReceivedFile[] = [];
  for (const name of names) {
    const path = `${dir}/${name}`;
    try {
      const info = await Deno.stat(path);
      if (info.isDirectory) continue;
      files.push({ bytes: info.size, modified: formatRfc3339Local(info.mtime ?? new Date(0)), name, path });
    } catch {
      // Metadata that cannot be read: the entry is skipped (§15.1).
    }
  }
  ctx.out.result(
    { dir, files: files.length === 0 ? null : files, total: files.length },
    renderReceived(dir, files),
  );
}

function field(message: Record<string, unknown>, key: string): string {
  const value = message[key];
  if (value === undefined || value === null) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The first 80 bytes of `data`, plus `...` when it is longer (§15.2). */
export function previewOf(data: string): string {
  const bytes = encoder.encode(data);
  if (bytes.byteLength <= PREVIEW_BYTES) return data;
  return `${decoder.decode(bytes.subarray(0, PREVIEW_BYTES))}...`;
}

/** Text of `inbox` (§15.2). */
export function renderInbox(messages: readonly unknown[]): string {
  if (messages.length === 0) {
    return 'inbox is empty\n  messages appear here when someone sends: pilotctl send-message <your-hostname> --data "hello"';
  }
  const lines = [`Inbox (${messages.length} messages):`, ""];
  for (const item of messages) {
    const m = asRecord(item);
    lines.push(`  [${field(m, "received_at")}] from ${field(m, "from")} type=${field(m, "type")}`);
    lines.push(`    ${previewOf(field(m, "data"))}`);
  }
  lines.push("", "clear with: pilotctl inbox --clear");
  return lines.join("\n");
}

async function runInbox(ctx: CommandContext): Promise<void> {
  const dir = mailboxDir(ctx.env, "inbox");
  if (boolFlag(parseArgs(ctx.args), "clear")) {
    const cleared = await clearFiles(dir, "inbox is empty");
    ctx.out.result({ cleared }, `cleared ${cleared} message(s)`);
    return;
  }
  const names = await listFiles(dir);
  if (names === undefined) {
    ctx.out.result({ messages: [], total: 0 }, renderInbox([]));
    return;
  }
  const messages: unknown[] = [];
  for (const name of names) {
    try {
      const path = `${dir}/${name}`;
      if ((await Deno.stat(path)).size > MAX_MESSAGE_FILE_BYTES) continue;
      const value: unknown = JSON.parse(await Deno.readTextFile(path));
      if (isRecord(value)) messages.push(value);
    } catch {
      // Unreadable or not JSON: skipped (§15.2).
    }
  }
  ctx.out.result(
    { dir, messages: messages.length === 0 ? null : messages, total: messages.length },
    renderInbox(messages),
  );
}

/** The mailbox group of the command table. */
export const MAILBOX_COMMANDS: Readonly<Record<string, CommandRun>> = {
  received: runReceived,
  inbox: runInbox,
};
