/**
 * pilotctl's way to the daemon (cli.md §3.4, §5): open the IPC socket found by §3.4 (any failure is
 * `not_running`), and turn the IPC client's failures into the reference's layered texts:
 * `<command>: <label>: daemon: <daemon's text>` with code `connection_failed`.
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import { IpcClient } from "../lib/ipc/mod.ts";
import { type CliEnvironment, loadConfig, pilotPaths, resolveSocket } from "./env.ts";

/** The socket path pilotctl uses (§3.4). */
export async function socketPath(env: CliEnvironment): Promise<string> {
  return resolveSocket(env, await loadConfig(pilotPaths(env).config));
}

/** The error of a daemon that cannot be reached (§3.4). */
export function notRunning(): PilotError {
  return new PilotError("not_running", "daemon is not running", {
    hint: "start the daemon with: pilotctl daemon start",
  });
}

/** Connects to the daemon; failure (missing file, refused, permission) is `not_running`. */
export async function openDaemon(env: CliEnvironment): Promise<IpcClient> {
  const path = await socketPath(env);
  try {
    return await IpcClient.connect(path);
  } catch (cause) {
    const err = notRunning();
    return Promise.reject(new PilotError(err.code, err.message, { hint: err.hint, cause }));
  }
}

/**
 * The client-side text of a failed IPC call labelled `label` (§5): `<label>: daemon: <text>`,
 * `<label>: daemon disconnected`, or `<label> unmarshal: <err>` for a reply that is not JSON.
 */
export function clientErrorText(label: string, err: unknown): string {
  if (err instanceof PilotError) {
    if (err.code === "ipc_error") return `${label}: daemon: ${err.message}`;
    if (err.code === "ipc_bad_json") return `${label} unmarshal: ${err.message}`;
    if (err.code === "ipc_disconnected" || err.code === "ipc_closed") return `${label}: daemon disconnected`;
  }
  return `${label}: ${err instanceof Error ? err.message : String(err)}`;
}

/** `connection_failed` `<command>: <client error>`, the wrapper of every daemon-backed command (§17). */
export function callFailed(command: string, label: string, err: unknown): PilotError {
  return new PilotError("connection_failed", `${command}: ${clientErrorText(label, err)}`, { cause: err });
}

/** Runs one labelled IPC call, mapping its failure with {@linkcode callFailed}. */
export async function daemonCall<T>(
  command: string,
  label: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw callFailed(command, label, err);
  }
}
