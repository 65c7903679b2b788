/**
 * `send-message` and `send-file` (cli.md §10.4, §10.5, services.md §4.5): one message or one file to a
 * peer's data exchange port 1001, then its `ACK …` reply. Unlike the reference, a file of any size goes
 * through (the client streams it from disk and splits it into parts), and on a terminal `send-file`
 * shows how much has gone out.
 *
 * An `ERR …` reply is printed as the reference does: a success whose `ack` holds that text.
 *
 * @module
 */

import { isPilotError, PilotError } from "../../lib/errors.ts";
import { type MessageType, sendFile, sendMessage } from "../../lib/services/data_exchange/mod.ts";
import { formatAddress, goQuote, PORTS } from "../../lib/protocol/mod.ts";
import { parseArgs, requirePositionals, stringFlag } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { closeAndWait, dialOrFail, resolveTarget } from "../data_plane.ts";
import { openDaemon } from "../daemon_link.ts";
import { formatBytes } from "../render.ts";
import { ProgressMeter } from "../progress.ts";

const MESSAGE_TYPES: Readonly<Record<string, MessageType>> = { text: "text", json: "json", binary: "binary" };

/** The reply text, also when the receiver refused (`ERR FILE save failed: …`), as the reference shows. */
async function ackOf(send: () => Promise<{ ack: string | undefined }>): Promise<string | undefined> {
  try {
    return (await send()).ack;
  } catch (err) {
    if (isPilotError(err, "service_rejected")) return err.message;
    throw err;
  }
}

async function runSendMessage(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(
    parsed,
    1,
    "usage: pilotctl send-message <address|hostname> --data <text> [--type text|json|binary]",
  );
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const data = stringFlag(parsed, "data");
  if (data === "") throw new PilotError("invalid_argument", "--data is required");
  const typeText = stringFlag(parsed, "type", "text");
  const target = formatAddress(address);
  const conn = await dialOrFail(
    ipc,
    address,
    PORTS.DATA_EXCHANGE,
    `cannot connect to ${target} (data exchange port 1001)`,
  );
  try {
    // §20 item 12: the type is checked only once the connection is open.
    const type = Object.hasOwn(MESSAGE_TYPES, typeText) ? MESSAGE_TYPES[typeText] : undefined;
    if (type === undefined) {
      throw new PilotError(
        "invalid_argument",
        `unknown type ${goQuote(typeText)} (use text, json, or binary)`,
      );
    }
    const bytes = new TextEncoder().encode(data);
    const ack = await ackOf(() => sendMessage(conn, { type, data: bytes }));
    ctx.out.result({ ack, bytes: bytes.byteLength, target, type: typeText });
  } finally {
    await closeAndWait(conn);
  }
}

/** Opens `path` for reading with the reference's error texts (§10.4 step 3). */
async function openFile(path: string): Promise<{ file: Deno.FsFile; size: number }> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true });
    const info = await file.stat();
    if (info.isDirectory) throw new PilotError("internal", `read file: read ${path}: is a directory`);
    return { file, size: info.size };
  } catch (err) {
    file?.close();
    if (err instanceof PilotError) throw err;
    if (err instanceof Deno.errors.NotFound) throw new PilotError("not_found", `file not found: ${path}`);
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
      throw new PilotError("internal", `permission denied: ${path}`, { cause: err });
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw new PilotError("internal", `read file: ${detail}`, { cause: err });
  }
}

async function runSendFile(ctx: CommandContext): Promise<void> {
  // Raw arguments (§10.4): no flag parsing, so a file may be called `--x`.
  if (ctx.args.length < 2) {
    throw new PilotError("invalid_argument", "usage: pilotctl send-file <address|hostname> <filepath>");
  }
  const [targetArg, path] = ctx.args;
  await using ipc = await openDaemon(ctx.env);
  // §20 item 11: an unresolvable target is `invalid_argument` here.
  const address = await resolveTarget(ctx, ipc, targetArg, { failureCode: "invalid_argument" });
  const { file, size } = await openFile(path);
  const filename = path.split("/").filter((part) => part !== "").pop() ?? path;
  const destination = formatAddress(address);
  let conn;
  try {
    conn = await dialOrFail(
      ipc,
      address,
      PORTS.DATA_EXCHANGE,
      `cannot connect to ${destination} (data exchange port 1001)`,
    );
  } catch (err) {
    file.close();
    throw err;
  }
  const meter = ctx.out.showsProgress ? new ProgressMeter(ctx.out, `sending ${filename}`, size) : undefined;
  try {
    // `file.readable` closes the file when it ends or is cancelled.
    const ack = await ackOf(() =>
      sendFile(conn, {
        name: filename,
        size,
        source: file.readable,
        onProgress: (sent) => meter?.update(sent),
      })
    );
    meter?.done(`sent ${formatBytes(size)}`);
    ctx.out.result(
      ack === undefined ? { bytes: size, destination, filename } : {
        ack,
        bytes: size,
        destination,
        filename,
      },
    );
  } catch (err) {
    meter?.done();
    throw err;
  } finally {
    await closeAndWait(conn);
  }
}

/** `send-message` and `send-file`. */
export const DATA_EXCHANGE_COMMANDS: Readonly<Record<string, CommandRun>> = {
  "send-file": runSendFile,
  "send-message": runSendMessage,
};
