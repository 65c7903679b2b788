/**
 * The raw stream commands (cli.md §10.1–§10.3, services.md §3): `connect` and `send` open a stream to
 * any port, write once and print the first chunk that comes back; `recv` binds a port and prints one
 * chunk from each of `--count` incoming streams. No framing: bytes go as given.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import type { IpcClient } from "../../lib/ipc/mod.ts";
import { IpcStreamAddr, IpcStreamConn } from "../../lib/ipc/mod.ts";
import { type Address, formatAddress, PORTS } from "../../lib/protocol/mod.ts";
import { durationFlag, intFlag, parseArgs, parsePort, requirePositionals, stringFlag } from "../args.ts";
import { type CommandContext, type CommandRun, PROCESS_STDIN } from "../command.ts";
import { closeAndWait, dialOrFail, errorText, readOnce, remainingMs, resolveTarget } from "../data_plane.ts";
import { callFailed, openDaemon } from "../daemon_link.ts";
import { formatDuration } from "../render.ts";
import { readStdinLines } from "./_stdin_lines.ts";

/** One read of up to 65,535 bytes, as the reference's buffer (§10.1 step 5). */
const READ_BYTES = 65_535;
const DEFAULT_TIMEOUT_MS = 30_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Exchange {
  ipc: IpcClient;
  address: Address;
  port: number;
  data: Uint8Array;
  timeoutMs: number;
  texts: { write: string; read: string; timeoutHint: string };
}

/** Dial, write once, one read racing the timeout; prints as §10.1 step 7 says. */
async function exchange(ctx: CommandContext, x: Exchange): Promise<void> {
  const target = formatAddress(x.address);
  const conn = await dialOrFail(x.ipc, x.address, x.port, `cannot connect to ${target} port ${x.port}`);
  try {
    const writer = conn.writable.getWriter();
    try {
      await writer.write(x.data);
    } catch (cause) {
      throw new PilotError("connection_failed", `${x.texts.write}: ${errorText(cause)}`, { cause });
    } finally {
      writer.releaseLock();
    }
    const outcome = await readOnce(conn, READ_BYTES, x.timeoutMs);
    if (outcome.kind === "timeout") {
      throw new PilotError("timeout", `no response within ${formatDuration(x.timeoutMs)}`, {
        hint: x.texts.timeoutHint,
      });
    }
    if (outcome.kind === "error") {
      throw new PilotError("connection_failed", `${x.texts.read}: ${errorText(outcome.error)}`, {
        cause: outcome.error,
      });
    }
    const response = outcome.kind === "data" ? outcome.data : new Uint8Array(0);
    const result = { port: x.port, response: decoder.decode(response), sent: decoder.decode(x.data), target };
    if (ctx.out.json) {
      ctx.out.result(result);
    } else if (response.byteLength > 0) {
      ctx.out.bytes(response);
      ctx.out.text("\n");
    } else {
      ctx.out.progress(`sent ${x.data.byteLength} bytes (no response)\n`);
    }
  } finally {
    await closeAndWait(conn);
  }
}

async function runConnect(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(
    parsed,
    1,
    "usage: pilotctl connect <address|hostname> [port] [--message <msg>] [--timeout <dur>]",
  );
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const port = parsed.positionals.length > 1 ? parsePort(parsed.positionals[1]) : PORTS.STDIO;
  const timeoutMs = durationFlag(parsed, "timeout", DEFAULT_TIMEOUT_MS);
  const message = stringFlag(parsed, "message");
  const timeoutHint = "increase with --timeout, or check if the target is listening on that port";
  if (message !== "") {
    await exchange(ctx, {
      ipc,
      address,
      port,
      data: encoder.encode(message),
      timeoutMs,
      texts: { write: "write", read: "read", timeoutHint },
    });
    return;
  }
  const stdin = ctx.stdin ?? PROCESS_STDIN;
  if (await stdin.isCharDevice()) {
    throw new PilotError("invalid_argument", "--message is required (interactive mode not supported)", {
      hint: "use --message to send a single message, or pipe data via stdin",
    });
  }
  const data = await readStdinLines(stdin.readable);
  if (data.byteLength === 0) {
    throw new PilotError("invalid_argument", "no data on stdin — use --message or pipe data");
  }
  await exchange(ctx, {
    ipc,
    address,
    port,
    data,
    timeoutMs,
    texts: { write: "write failed", read: "read failed", timeoutHint },
  });
}

async function runSend(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(
    parsed,
    2,
    "usage: pilotctl send <address|hostname> <port> --data <msg> [--timeout <dur>]",
  );
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const port = parsePort(parsed.positionals[1]);
  const data = stringFlag(parsed, "data");
  if (data === "") throw new PilotError("invalid_argument", "--data is required");
  const timeoutMs = durationFlag(parsed, "timeout", DEFAULT_TIMEOUT_MS);
  await exchange(ctx, {
    ipc,
    address,
    port,
    data: encoder.encode(data),
    timeoutMs,
    texts: {
      write: "write failed",
      read: "read failed",
      timeoutHint: `increase with --timeout, or check peer: pilotctl ping ${formatAddress(address)}`,
    },
  });
}

type RecvMessage =
  | { seq: number; port: number; data: string; bytes: number }
  | { seq: number; port: number; error: string };

async function runRecv(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 1, "usage: pilotctl recv <port> [--count <n>] [--timeout <dur>]");
  const port = parsePort(parsed.positionals[0]);
  const count = intFlag(parsed, "count", 1);
  const timeoutMs = durationFlag(parsed, "timeout", DEFAULT_TIMEOUT_MS);
  await using ipc = await openDaemon(ctx.env);
  try {
    await ipc.bind(port);
  } catch (err) {
    throw callFailed("listen", "bind", err);
  }
  const deadline = performance.now() + timeoutMs;
  const messages: RecvMessage[] = [];
  for (let seq = 0; seq < count; seq++) {
    let accepted;
    try {
      accepted = await ipc.accept(port, { signal: AbortSignal.timeout(Math.max(1, remainingMs(deadline))) });
    } catch (err) {
      if (err instanceof PilotError && err.code === "timeout") return recvTimedOut(ctx, messages);
      throw new PilotError("connection_failed", "accept error", { cause: err });
    }
    const conn = new IpcStreamConn(
      ipc,
      accepted.connId,
      new IpcStreamAddr(accepted.remoteAddress, accepted.remotePort),
    );
    try {
      const outcome = await readOnce(conn, READ_BYTES, remainingMs(deadline));
      if (outcome.kind === "timeout") return recvTimedOut(ctx, messages);
      if (outcome.kind === "data") {
        messages.push({ seq, port, data: decoder.decode(outcome.data), bytes: outcome.data.byteLength });
        ctx.out.bytes(outcome.data);
        ctx.out.text("\n");
      } else {
        const error = outcome.kind === "eof" ? "EOF" : errorText(outcome.error);
        messages.push({ seq, port, error });
        ctx.out.progress(`error: ${error}\n`);
      }
    } finally {
      await closeAndWait(conn);
    }
  }
  if (ctx.out.json) ctx.out.result({ messages: messages.length === 0 ? null : messages, timeout: false });
}

function recvTimedOut(ctx: CommandContext, messages: RecvMessage[]): void {
  // `null` for "nothing received", as the reference prints (§20 item 10).
  if (ctx.out.json) ctx.out.result({ messages: messages.length === 0 ? null : messages, timeout: true });
  else ctx.out.progress("timeout\n");
}

/** `connect`, `send` and `recv`. */
export const STREAM_COMMANDS: Readonly<Record<string, CommandRun>> = {
  connect: runConnect,
  send: runSend,
  recv: runRecv,
};
