/**
 * What the data-plane commands share (cli.md §10, §14.3–§14.6): the `<address|hostname>` target
 * resolved through the daemon (§2.5), dialling a port with the command's own failure text, one read
 * raced against a deadline, and waiting out a connection's close before the CLI exits.
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import type { IpcClient } from "../lib/ipc/mod.ts";
import { dialStream, type IpcStreamConn } from "../lib/ipc/mod.ts";
import { type Address, formatAddress, goQuote, parseAddress } from "../lib/protocol/mod.ts";
import { parseTarget } from "./args.ts";
import type { CommandContext } from "./command.ts";
import { asRecord, readNumber, readString } from "./fields.ts";

/** How long a command waits for the daemon to confirm a Close before it exits anyway. */
const CLOSE_WAIT_MS = 2_000;

/**
 * Resolves a target positional (§2.5); a hostname goes to the daemon, and text mode then says
 * `resolved "<arg>" → <address>` on stderr.
 */
export async function resolveTarget(
  ctx: CommandContext,
  ipc: IpcClient,
  text: string,
  options: { failureCode?: "not_found" | "invalid_argument" } = {},
): Promise<Address> {
  const target = await parseTarget(text, async (hostname) => {
    const reply = asRecord(await ipc.resolveHostname(hostname));
    const address = readString(reply, "address");
    try {
      return parseAddress(address);
    } catch {
      // An older daemon may answer with the node ID only; the node lives in network 0 then.
      return { network: 0, node: readNumber(reply, "node_id") };
    }
  }, options);
  if (target.viaHostname) ctx.out.progress(`resolved ${goQuote(text)} → ${formatAddress(target.address)}\n`);
  return target.address;
}

/** The hint every dial failure of §10 carries. */
export function reachableHint(address: string): string {
  return `check that ${address} is reachable: pilotctl ping ${address}`;
}

/** Dials `port`; any failure becomes `connection_failed` with `message` and the reachability hint. */
export async function dialOrFail(
  ipc: IpcClient,
  address: Address,
  port: number,
  message: string,
): Promise<IpcStreamConn> {
  try {
    return await dialStream(ipc, address, port);
  } catch (cause) {
    throw new PilotError("connection_failed", message, {
      hint: reachableHint(formatAddress(address)),
      cause,
    });
  }
}

/** Outcome of {@linkcode readOnce}. */
export type ReadOutcome =
  | { kind: "data"; data: Uint8Array }
  | { kind: "eof" }
  | { kind: "error"; error: unknown }
  | { kind: "timeout" };

/**
 * One read of the next chunk, raced against `timeoutMs` (none when `undefined`), keeping at most
 * `maxBytes` of it (the reference reads into a fixed buffer). The reader's lock is released afterwards.
 */
export async function readOnce(
  conn: IpcStreamConn,
  maxBytes: number,
  timeoutMs?: number,
): Promise<ReadOutcome> {
  const reader = conn.readable.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const read = reader.read().then(
      (next): ReadOutcome =>
        next.done ? { kind: "eof" } : { kind: "data", data: next.value.subarray(0, maxBytes) },
      (error: unknown): ReadOutcome => ({ kind: "error", error }),
    );
    if (timeoutMs === undefined) return await read;
    const expired = new Promise<ReadOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout" }), Math.max(0, timeoutMs));
    });
    return await Promise.race([read, expired]);
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}

/** Closes `conn` and waits (briefly) for the daemon's confirmation, so nothing queued is lost at exit. */
export async function closeAndWait(conn: IpcStreamConn): Promise<void> {
  conn.close();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CLOSE_WAIT_MS);
  });
  try {
    await Promise.race([conn.closed, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Text of an error as the reference's `err.Error()` prints it. */
export function errorText(err: unknown): string {
  if (err instanceof PilotError && err.code === "ipc_error") return `daemon: ${err.message}`;
  if (err instanceof PilotError && err.code === "ipc_disconnected") return "daemon disconnected";
  return err instanceof Error ? err.message : String(err);
}

/** Milliseconds until `deadline` (a `performance.now()` value), never negative. */
export function remainingMs(deadline: number): number {
  return Math.max(0, deadline - performance.now());
}
