/**
 * The process side of `daemon start` / `stop` / `status` (cli.md §7): which program runs the daemon,
 * starting it detached with its output appended to the log file, and asking whether a PID is alive or
 * signalling it.
 *
 * Which daemon: from source (`cli/pilotctl.ts` run by `deno`), `deno run <daemon permissions> main.ts`;
 * compiled, the `pilot-daemon` binary beside this executable, which carries its own permissions. The
 * reference re-executes itself as `_daemon-run`; we start the daemon program itself, so it runs under
 * exactly the daemon's permission set (lib/permissions.ts), never pilotctl's.
 *
 * Signals: Deno lets a program signal another process only with unscoped `--allow-run` (any program
 * could then be run). pilotctl is instead allowed to run `/bin/kill` (lib/permissions.ts), which it
 * uses whenever the direct call is refused; with unscoped `--allow-run` the direct call is used.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import process from "node:process";
import { PilotError } from "../lib/errors.ts";
import { KILL_EXECUTABLE, permissionFlags, type PermissionScope } from "../lib/permissions.ts";

const MAX_PID = 0x7FFFFFFF;

/** A program and the arguments that come before the daemon's own flags. */
export interface DaemonProgram {
  executable: string;
  args: string[];
}

/** True when this module runs inside a `deno compile` binary rather than under `deno run`. */
export function isCompiled(): boolean {
  const name = Deno.execPath().split("/").pop() ?? "";
  return !/^deno(\.exe)?$/.test(name) || import.meta.url.includes("/deno-compile-");
}

/**
 * The daemon program for `scope`: the compiled binary beside us, or `deno run` on `main.ts` with the
 * daemon's permission flags for `scope`.
 */
export function daemonProgram(scope: PermissionScope): DaemonProgram {
  if (isCompiled()) {
    const dir = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/") + 1);
    return { executable: `${dir}pilot-daemon`, args: [] };
  }
  const main = new URL("../main.ts", import.meta.url).pathname;
  return {
    executable: Deno.execPath(),
    args: ["run", "--quiet", ...permissionFlags("daemon", scope), main],
  };
}

/** A started background daemon. */
export interface DetachedChild {
  pid: number;
  /** Resolves when the child exits (while this process still runs). */
  exited: Promise<void>;
}

/**
 * Starts `program` in a new session with stdin `/dev/null` and stdout/stderr appended to `logPath`
 * (created 0600), as §7.1 step 5 says. `env` is the child's whole environment.
 */
export async function spawnDetached(
  program: DaemonProgram,
  args: readonly string[],
  options: { logPath: string; env: Record<string, string> },
): Promise<DetachedChild> {
  let fd: number;
  try {
    fd = openSync(options.logPath, "a", 0o600);
  } catch (err) {
    throw new PilotError("internal", `open log file: ${err instanceof Error ? err.message : err}`, {
      cause: err,
    });
  }
  try {
    // node:child_process because Deno.Command cannot hand a file to the child as its stdout.
    const child = spawn(program.executable, [...program.args, ...args], {
      stdio: ["ignore", fd, fd],
      detached: true,
      env: options.env,
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const started = await new Promise<number>((resolve, reject) => {
      child.once("spawn", () => resolve(child.pid ?? 0));
      child.once("error", reject);
    });
    child.unref(); // pilotctl exits after the readiness wait; the daemon lives on
    return { pid: started, exited };
  } catch (err) {
    throw new PilotError("internal", `start daemon: ${err instanceof Error ? err.message : err}`, {
      cause: err,
    });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
}

/** Signals pilotctl sends. */
export type DaemonSignal = "SIGTERM" | "SIGKILL";

function validPid(pid: number): boolean {
  // 0 and negative PIDs address process groups; never signal those.
  return Number.isSafeInteger(pid) && pid > 0 && pid <= MAX_PID;
}

async function killCommand(args: string[]): Promise<{ ok: boolean; detail: string }> {
  const output = await new Deno.Command(KILL_EXECUTABLE, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    clearEnv: true,
  }).output();
  return { ok: output.success, detail: new TextDecoder().decode(output.stderr).trim() };
}

/**
 * Whether process `pid` exists (signal 0 succeeds), as §7.1 step 1 asks; `undefined` when this
 * process may neither signal nor run `kill`, so callers must not treat the PID file as stale.
 */
export async function processExists(pid: number): Promise<boolean | undefined> {
  if (!validPid(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) return false; // ESRCH, or EPERM: not ours to stop
  }
  try {
    return (await killCommand(["-0", String(pid)])).ok;
  } catch (err) {
    if (err instanceof Deno.errors.NotCapable) return undefined;
    return false; // no kill program: a failed signal 0, as far as we can tell
  }
}

/** Sends `signal` to `pid`; failure is `internal` `signal daemon: <err>` (§7.2 step 3). */
export async function signalProcess(pid: number, signal: DaemonSignal): Promise<void> {
  if (!validPid(pid)) throw new PilotError("internal", `signal daemon: invalid pid ${pid}`);
  try {
    Deno.kill(pid, signal);
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) {
      throw new PilotError("internal", `signal daemon: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    }
  }
  let result;
  try {
    result = await killCommand([`-${signal.slice(3)}`, String(pid)]);
  } catch (err) {
    throw new PilotError("internal", `signal daemon: ${err instanceof Error ? err.message : err}`, {
      cause: err,
    });
  }
  if (!result.ok) throw new PilotError("internal", `signal daemon: ${result.detail}`);
}
