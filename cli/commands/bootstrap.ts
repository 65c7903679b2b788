/**
 * Bootstrap commands (cli.md §6): `init` and `config` edit `~/.pilot/config.json` without contacting
 * anything; `context` prints the static description of Appendix B.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { parseArgs, stringFlag } from "../args.ts";
import type { CommandContext } from "../command.ts";
import { contextDocument } from "../context_doc.ts";
import {
  DEFAULT_BEACON,
  DEFAULT_REGISTRY,
  DEFAULT_SOCKET,
  loadConfig,
  pilotPaths,
  resolveRegistry,
  resolveSocket,
  saveConfig,
} from "../env.ts";

/** `init` (§6.1): writes registry, beacon, socket (defaults included) and hostname when given. */
export async function runInit(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  const registry = stringFlag(parsed, "registry", DEFAULT_REGISTRY);
  const beacon = stringFlag(parsed, "beacon", DEFAULT_BEACON);
  const hostname = stringFlag(parsed, "hostname");
  const socket = stringFlag(parsed, "socket", DEFAULT_SOCKET);
  const paths = pilotPaths(ctx.env);
  const config = await loadConfig(paths.config);
  config.registry = registry;
  config.beacon = beacon;
  config.socket = socket;
  if (hostname !== "") config.hostname = hostname;
  await saveConfig(paths.config, config);
  // `hostname` is the flag's value, even when the file kept an older one (§6.1).
  ctx.out.result({ beacon, config_path: paths.config, hostname, registry, socket });
}

/** `config [--set key=value]` (§6.2). */
export async function runConfig(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  const paths = pilotPaths(ctx.env);
  const config = await loadConfig(paths.config);
  const assignment = parsed.flags.get("set");
  if (assignment !== undefined) {
    const eq = assignment.indexOf("=");
    if (eq === -1) throw new PilotError("invalid_argument", "usage: pilotctl config --set key=value");
    const key = assignment.slice(0, eq);
    const value = assignment.slice(eq + 1);
    // Stored as a string whatever it looks like: `--set num=5` writes "5" (§6.2).
    config[key] = value;
    await saveConfig(paths.config, config);
    ctx.out.result({ key, value });
    return;
  }
  const shown = { ...config };
  shown.config_path = paths.config;
  shown.pid_file = paths.pidFile;
  shown.log_file = paths.logFile;
  // Only when the file has no such key, and then as resolved without the file's value (§6.2).
  if (!Object.hasOwn(config, "registry")) shown.registry = resolveRegistry(ctx.env, {});
  if (!Object.hasOwn(config, "socket")) shown.socket = resolveSocket(ctx.env, {});
  ctx.out.result(shown);
}

/** `context` (§6.3): arguments ignored. */
export function runContext(ctx: CommandContext): Promise<void> {
  ctx.out.result(contextDocument());
  return Promise.resolve();
}
