/**
 * `daemon start` (cli.md §7.1, control.md §10.3), `--foreground` and the hidden `_daemon-run` (§7.4).
 *
 * Settings resolve as the reference does; the values then go to our daemon as its Go-style flags.
 * Deviations, each because our daemon differs from the reference's:
 * - no registry given anywhere (flag, config, `PILOT_REGISTRY`) runs the daemon's embedded registry
 *   and beacon instead of dialling the public default, so a first `daemon start` works offline;
 * - the `-no-*` service switches (`--no-echo`, `--no-dataexchange`, `--no-eventstream`,
 *   `--no-tasksubmit`) are passed through (issue #5), where the reference ignores them;
 * - `--config` is handed to the daemon, which applies every key it knows, not only registry/beacon;
 * - the readiness wait ends early, with the same `timeout` error, once the child has exited;
 * - no embedded IP gateway is started (gateway is issue #6's).
 *
 * @module
 */

import { waitForwardingSignals } from "../../lib/flags/program_flags.ts";
import { PilotError } from "../../lib/errors.ts";
import { ENV_VARS } from "../../lib/permissions.ts";
import { boolFlag, parseArgs, type ParsedArgs, stringFlag } from "../args.ts";
import type { CommandContext } from "../command.ts";
import { daemonProgram, type DetachedChild, processExists, spawnDetached } from "../daemon_process.ts";
import { openDaemon } from "../daemon_link.ts";
import {
  type CliEnvironment,
  configString,
  DEFAULT_BEACON,
  loadConfig,
  pilotPaths,
  resolveSocket,
} from "../env.ts";
import { asRecord, readNumber, readString } from "../fields.ts";
import { padEnd } from "../render.ts";
import { readPidFile } from "./daemon_pid.ts";

/** Readiness wait of §7.1 step 6. */
const READY_TIMEOUT_MS = 15_000;
const READY_POLL_MS = 200;

/** The service switches passed through to the daemon. */
const SERVICE_SWITCHES = ["no-echo", "no-dataexchange", "no-eventstream", "no-tasksubmit"] as const;

/** Everything the daemon is started with. */
interface DaemonSettings {
  registry: string | undefined;
  beacon: string | undefined;
  listen: string;
  socket: string;
  /** `""`: an ephemeral identity. */
  identity: string;
  owner: string;
  hostname: string;
  webhook: string;
  config: string;
  logLevel: string;
  logFormat: string;
  public: boolean;
  encrypt: boolean;
  switches: string[];
  home: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The settings table of §7.1, from flags, `config.json` and the environment. */
async function resolveSettings(parsed: ParsedArgs, env: CliEnvironment): Promise<DaemonSettings> {
  const paths = pilotPaths(env);
  const config = await loadConfig(paths.config);
  const flag = (key: string) => parsed.flags.get(key);
  // §3.5 quirk kept: config `registry` (even empty) beats PILOT_REGISTRY.
  const registry = nonEmpty(
    flag("registry") ?? configString(config, "registry") ?? env.get("PILOT_REGISTRY"),
  );
  const beaconGiven = flag("beacon") ?? configString(config, "beacon");
  return {
    registry,
    beacon: nonEmpty(beaconGiven) ?? (registry === undefined ? undefined : DEFAULT_BEACON),
    listen: stringFlag(parsed, "listen", ":0"),
    socket: nonEmpty(flag("socket")) ?? resolveSocket(env, config),
    identity: flag("identity") ?? paths.identity,
    owner: stringFlag(parsed, "owner"),
    hostname: flag("hostname") ?? configString(config, "hostname") ?? "",
    webhook: flag("webhook") ?? configString(config, "webhook") ?? "",
    config: stringFlag(parsed, "config"),
    logLevel: stringFlag(parsed, "log-level", "info"),
    logFormat: stringFlag(parsed, "log-format", "text"),
    public: boolFlag(parsed, "public"),
    encrypt: !boolFlag(parsed, "no-encrypt"),
    switches: SERVICE_SWITCHES.filter((name) => boolFlag(parsed, name)),
    home: paths.home,
  };
}

/** The daemon's command line for `settings` (its flags, control.md §10.1). */
function daemonArgs(s: DaemonSettings): string[] {
  const args = ["-home", s.home, "-socket", s.socket, "-listen", s.listen, `-identity=${s.identity}`];
  args.push("-log-level", s.logLevel, "-log-format", s.logFormat);
  if (s.registry !== undefined) args.push("-registry", s.registry);
  if (s.beacon !== undefined) args.push("-beacon", s.beacon);
  if (!s.encrypt) args.push("-encrypt=false");
  if (s.owner !== "") args.push("-owner", s.owner);
  if (s.hostname !== "") args.push("-hostname", s.hostname);
  if (s.config !== "") args.push("-config", s.config);
  if (s.public) args.push("-public");
  if (s.webhook !== "") args.push("-webhook", s.webhook);
  for (const name of s.switches) args.push(`-${name}`);
  return args;
}

/** The files outside the pilot home the daemon must be allowed to touch. */
function namedFiles(s: DaemonSettings): string[] {
  return [s.identity, s.config].filter((path) => path !== "" && !path.startsWith(`${s.home}/`));
}

function programFor(s: DaemonSettings) {
  const named = namedFiles(s);
  return daemonProgram({ home: s.home, socket: s.socket, read: named, write: named });
}

/** The child's environment: our own variables only (the daemon reads no others). */
function childEnv(env: CliEnvironment, home: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const name of ENV_VARS) {
    const value = env.get(name);
    if (value !== undefined) vars[name] = value;
  }
  vars.PILOT_HOME = home;
  return vars;
}

/** Runs the daemon attached to this process until SIGINT/SIGTERM (§7.4); returns its exit code. */
async function runAttached(s: DaemonSettings, env: CliEnvironment): Promise<number> {
  const program = programFor(s);
  const child = new Deno.Command(program.executable, {
    args: [...program.args, ...daemonArgs(s)],
    env: childEnv(env, s.home),
    clearEnv: true,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // A `kill` aimed at pilotctl is passed on, so the daemon always shuts down in order (deregisters,
  // removes its socket) before we return.
  const status = await waitForwardingSignals(child);
  return status.signal !== null ? 0 : status.code;
}

async function socketActive(env: CliEnvironment): Promise<boolean> {
  try {
    await using ipc = await openDaemon(env);
    return ipc !== undefined;
  } catch {
    return false;
  }
}

/** `daemon start` (§7.1). */
export async function runStart(ctx: CommandContext): Promise<number | void> {
  const parsed = parseArgs(ctx.args);
  const paths = pilotPaths(ctx.env);
  const pid = await readPidFile(paths.pidFile);
  if (pid > 0) {
    const alive = await processExists(pid);
    if (alive === true) {
      throw new PilotError("already_exists", `daemon is already running (pid ${pid})`, {
        hint: "stop it first with: pilotctl daemon stop",
      });
    }
    if (alive === false) await Deno.remove(paths.pidFile).catch(() => {/* already gone */});
  }
  const settings = await resolveSettings(parsed, ctx.env);
  const socketEnv: CliEnvironment = {
    get: (name) => name === "PILOT_SOCKET" ? settings.socket : ctx.env.get(name),
  };
  if (await fileExists(settings.socket)) {
    if (await socketActive(socketEnv)) {
      throw new PilotError(
        "already_exists",
        `daemon is already running (socket ${settings.socket} is active)`,
        {
          hint: "stop it first with: pilotctl daemon stop",
        },
      );
    }
    await Deno.remove(settings.socket).catch(() => {/* already gone */});
  }
  if (boolFlag(parsed, "foreground")) return await runAttached(settings, ctx.env);

  try {
    await Deno.mkdir(paths.home, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PilotError("internal", `open log file: ${err instanceof Error ? err.message : err}`);
  }
  const child = await spawnDetached(programFor(settings), daemonArgs(settings), {
    logPath: paths.logFile,
    env: childEnv(ctx.env, settings.home),
  });
  await Deno.writeTextFile(paths.pidFile, String(child.pid), { mode: 0o600 }).catch(() => {
    // §7.1: write errors of the PID file are ignored; `daemon stop` then reports the missing file.
  });
  ctx.out.progress(`starting daemon (pid ${child.pid})...`);
  const info = await waitReady(ctx, socketEnv, child);
  if (info === undefined) {
    ctx.out.progress("\n");
    throw new PilotError(
      "timeout",
      `daemon started (pid ${child.pid}) but did not become ready within 15s`,
      { hint: `check logs: tail -f ${paths.logFile}` },
    );
  }
  ctx.out.progress("\n");
  const hostname = readString(info, "hostname");
  const result = {
    address: readString(info, "address"),
    hostname,
    log_file: paths.logFile,
    node_id: readNumber(info, "node_id"),
    pid: child.pid,
    socket: settings.socket,
  };
  const line = (label: string, value: string) => `  ${padEnd(label, 10)}${value}`;
  const lines = [`Daemon running (pid ${child.pid})`, line("Address:", result.address)];
  if (hostname !== "") lines.push(line("Hostname:", hostname));
  lines.push(line("Socket:", result.socket), line("Logs:", result.log_file));
  ctx.out.result(result, lines.join("\n"));
}

/** Polls Info every 200 ms for 15 s (§7.1 step 6); `undefined` when the daemon never answered. */
async function waitReady(
  ctx: CommandContext,
  env: CliEnvironment,
  child: DetachedChild,
): Promise<Record<string, unknown> | undefined> {
  let exited = false;
  void child.exited.then(() => exited = true);
  const deadline = performance.now() + READY_TIMEOUT_MS;
  for (let i = 1; performance.now() < deadline; i++) {
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
    if (i % 5 === 0) ctx.out.progress(".");
    try {
      await using ipc = await openDaemon(env);
      return asRecord(await ipc.info({ signal: AbortSignal.timeout(READY_POLL_MS * 5) }));
    } catch {
      if (exited) return undefined; // it is gone: no point in waiting out the 15 s
    }
  }
  return undefined;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** `_daemon-run` (§7.4): the daemon attached to this process, from its flags alone. */
export async function runDaemonRun(ctx: CommandContext): Promise<number> {
  const parsed = parseArgs(ctx.args);
  const paths = pilotPaths(ctx.env);
  const settings: DaemonSettings = {
    registry: nonEmpty(parsed.flags.get("registry")),
    beacon: nonEmpty(parsed.flags.get("beacon")),
    listen: stringFlag(parsed, "listen", ":0"),
    socket: stringFlag(parsed, "socket", "/tmp/pilot.sock"),
    identity: stringFlag(parsed, "identity"), // empty: ephemeral, as the reference's default here
    owner: stringFlag(parsed, "owner"),
    hostname: stringFlag(parsed, "hostname"),
    webhook: stringFlag(parsed, "webhook"),
    config: stringFlag(parsed, "config"),
    logLevel: stringFlag(parsed, "log-level", "info"),
    logFormat: stringFlag(parsed, "log-format", "text"),
    public: boolFlag(parsed, "public"),
    encrypt: !boolFlag(parsed, "no-encrypt"),
    switches: SERVICE_SWITCHES.filter((name) => boolFlag(parsed, name)),
    home: paths.home,
  };
  return await runAttached(settings, ctx.env);
}
