/**
 * Where pilotctl finds things (cli.md §3): the pilot home `$HOME/.pilot`, `config.json` (read leniently,
 * written whole with 2-space indent, sorted keys and a trailing newline, unknown keys kept, atomically),
 * the daemon socket (`PILOT_SOCKET` → config `socket` → `/tmp/pilot.sock`) and the registry of the
 * commands that dial it directly (`PILOT_REGISTRY` → config `registry` → the public default).
 *
 * The reference reads `HOME`, `PILOT_SOCKET` and `PILOT_REGISTRY`. We also honour `PILOT_HOME` (a pilot
 * home elsewhere than `$HOME/.pilot`), as the daemon and the permission scopes do, so the CLI, the
 * daemon it starts and their file permissions always agree on one folder.
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import { writeFileAtomic } from "../lib/fs/atomic_file.ts";
import { defaultPilotHome } from "../lib/permissions.ts";
import { isRecord } from "./fields.ts";
import { formatJson } from "./render.ts";

/** The registry `init`, the direct registry commands and `daemon start` fall back to. */
export const DEFAULT_REGISTRY = "34.71.57.205:9000";
/** The beacon `init` and `daemon start` fall back to (loopback, unlike the daemon binary). */
export const DEFAULT_BEACON = "127.0.0.1:9001";
/** The daemon's default IPC socket. */
export const DEFAULT_SOCKET = "/tmp/pilot.sock";

/** Read access to environment variables. */
export interface CliEnvironment {
  get(name: string): string | undefined;
}

/** The process environment; a variable the permissions do not cover reads as unset. */
export const PROCESS_ENV: CliEnvironment = {
  get(name: string): string | undefined {
    try {
      return Deno.env.get(name);
    } catch {
      // NotCapable: the permission set does not list this variable, which then plays no part.
      return undefined;
    }
  },
};

/** Paths under the pilot home (§3.2). */
export interface PilotPaths {
  home: string;
  config: string;
  pidFile: string;
  logFile: string;
  identity: string;
}

/** `$PILOT_HOME`, else `$HOME/.pilot`, and its files; an unset `HOME` gives `/.pilot` (§3.1). */
export function pilotPaths(env: CliEnvironment): PilotPaths {
  const home = defaultPilotHome((name) => env.get(name));
  return {
    home,
    config: `${home}/config.json`,
    pidFile: `${home}/pilot.pid`,
    logFile: `${home}/pilot.log`,
    identity: `${home}/identity.key`,
  };
}

/** The decoded `config.json` object. */
export type PilotConfig = Record<string, unknown>;

/** Largest config file we read; anything bigger is not a config the CLI wrote and counts as invalid. */
const MAX_CONFIG_BYTES = 1 << 20;

/** Reads `config.json`; missing, unreadable, oversized or not a JSON object → `{}` (§3.3). */
export async function loadConfig(path: string): Promise<PilotConfig> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile || info.size > MAX_CONFIG_BYTES) return {};
    text = await Deno.readTextFile(path);
  } catch {
    // Missing or unreadable: the reference silently starts from an empty object.
    return {};
  }
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? { ...value } : {};
  } catch {
    // Invalid JSON is treated like a missing file (§3.3).
    return {};
  }
}

/** Writes `config` whole (§3.3), creating the home (0700) first. Failure: `internal` `save config: …`. */
export async function saveConfig(path: string, config: PilotConfig): Promise<void> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), 1));
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(path, `${formatJson(config, true)}\n`, { mode: 0o644 });
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new PilotError("internal", `save config: ${detail}`, { cause });
  }
}

/** A config value the CLI reads: only JSON strings count (§3.3). */
export function configString(config: PilotConfig, key: string): string | undefined {
  const value = config[key];
  return typeof value === "string" ? value : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The daemon socket (§3.4): `PILOT_SOCKET`, then config `socket`, then `/tmp/pilot.sock`. */
export function resolveSocket(env: CliEnvironment, config: PilotConfig): string {
  return nonEmpty(env.get("PILOT_SOCKET")) ?? nonEmpty(configString(config, "socket")) ?? DEFAULT_SOCKET;
}

/** The registry of `register`/`lookup`/`rotate-key` (§3.5): env, then config, then the default. */
export function resolveRegistry(env: CliEnvironment, config: PilotConfig): string {
  return nonEmpty(env.get("PILOT_REGISTRY")) ?? nonEmpty(configString(config, "registry")) ??
    DEFAULT_REGISTRY;
}
