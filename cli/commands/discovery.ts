/**
 * Discovery and node settings (cli.md §9): `find` and the hostname, tags, task-execution and webhook
 * settings. All go through the daemon; `set-hostname`/`clear-hostname` also remember the hostname in
 * `config.json` and the webhook commands store the URL there first and tell a running daemon only as a
 * best effort.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import type { IpcClient } from "../../lib/ipc/mod.ts";
import { goQuote } from "../../lib/protocol/mod.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { daemonCall, openDaemon } from "../daemon_link.ts";
import { type CliEnvironment, loadConfig, pilotPaths, saveConfig } from "../env.ts";
import { asRecord, readBool, readList, readNumber, readString } from "../fields.ts";
import { padEnd } from "../render.ts";

/** Text of `find` (§9.1): the value column starts after 11 characters. */
export function renderFind(
  result: { hostname: string; node_id: number; address: string; public: boolean },
): string {
  return [
    `${padEnd("Hostname:", 11)}${result.hostname}`,
    `${padEnd("Node ID:", 11)}${result.node_id}`,
    `${padEnd("Address:", 11)}${result.address}`,
    `${padEnd("Visible:", 11)}${result.public ? "public" : "private"}`,
  ].join("\n");
}

async function runFind(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) throw new PilotError("invalid_argument", "usage: pilotctl find <hostname>");
  const hostname = ctx.args[0];
  await using ipc = await openDaemon(ctx.env);
  let reply: Record<string, unknown>;
  try {
    reply = asRecord(await ipc.resolveHostname(hostname));
  } catch (cause) {
    throw new PilotError(
      "not_found",
      `cannot find ${goQuote(hostname)} — hostname not found or no mutual trust`,
      {
        hint: `establish trust first: pilotctl handshake ${hostname} "reason"`,
        cause,
      },
    );
  }
  const result = {
    hostname,
    node_id: readNumber(reply, "node_id"),
    address: readString(reply, "address"),
    public: readBool(reply, "public"),
  };
  ctx.out.result(result, renderFind(result));
}

async function rememberHostname(env: CliEnvironment, hostname: string): Promise<void> {
  const path = pilotPaths(env).config;
  const config = await loadConfig(path);
  if (hostname === "") delete config.hostname;
  else config.hostname = hostname;
  try {
    await saveConfig(path, config);
  } catch {
    // §9.2 step 4: the registry already has the new name; a config that cannot be written is ignored.
  }
}

async function runSetHostname(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) {
    throw new PilotError("invalid_argument", "usage: pilotctl set-hostname <hostname>");
  }
  const hostname = ctx.args[0];
  await using ipc = await openDaemon(ctx.env);
  const reply = asRecord(await daemonCall("set-hostname", "set_hostname", () => ipc.setHostname(hostname)));
  await rememberHostname(ctx.env, hostname);
  const result = { hostname: readString(reply, "hostname"), node_id: readNumber(reply, "node_id") };
  ctx.out.result(result, hostname === "" ? "hostname cleared" : `hostname set: ${result.hostname}`);
}

async function runClearHostname(ctx: CommandContext): Promise<void> {
  await using ipc = await openDaemon(ctx.env);
  await daemonCall("clear-hostname", "set_hostname", () => ipc.setHostname(""));
  await rememberHostname(ctx.env, "");
  ctx.out.result({ hostname: "" }, "hostname cleared");
}

const MAX_TAGS = 3;

async function runSetTags(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) {
    throw new PilotError("invalid_argument", "usage: pilotctl set-tags <tag1> [tag2] ...");
  }
  if (ctx.args.length > MAX_TAGS) {
    throw new PilotError(
      "invalid_argument",
      `set-tags: maximum ${MAX_TAGS} tags allowed, got ${ctx.args.length}`,
    );
  }
  const tags = [...ctx.args];
  await using ipc = await openDaemon(ctx.env);
  const reply = asRecord(await daemonCall("set-tags", "set_tags", () => ipc.setTags(tags)));
  // The registry's normalised tags (`#ml` → `ml`), not what was typed.
  const stored = (readList(reply, "tags") ?? []).filter((tag): tag is string => typeof tag === "string");
  const text = stored.length === 0
    ? "tags set: none"
    : `tags set: ${stored.map((tag) => `#${tag}`).join(" ")}`;
  ctx.out.result({ node_id: readNumber(reply, "node_id"), tags: stored }, text);
}

async function runClearTags(ctx: CommandContext): Promise<void> {
  await using ipc = await openDaemon(ctx.env);
  await daemonCall("clear-tags", "set_tags", () => ipc.setTags([]));
  ctx.out.result({ tags: [] }, "tags cleared");
}

function taskExec(command: string, enabled: boolean): CommandRun {
  return async (ctx) => {
    await using ipc = await openDaemon(ctx.env);
    ctx.out.result(await daemonCall(command, "set_task_exec", () => ipc.setTaskExec(enabled)));
  };
}

/** Tells a running daemon the webhook; `false` when there is none or it refused (§9.7 step 4). */
async function applyWebhook(env: CliEnvironment, url: string): Promise<boolean> {
  let ipc: IpcClient;
  try {
    ipc = await openDaemon(env);
  } catch {
    return false; // no daemon: the URL takes effect on the next start
  }
  try {
    await ipc.setWebhook(url);
    return true;
  } catch {
    return false;
  } finally {
    await ipc.close();
  }
}

function webhookText(first: string, applied: boolean): string {
  return `${first}\n${applied ? "applied to running daemon" : "will take effect on next daemon start"}`;
}

async function runSetWebhook(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) throw new PilotError("invalid_argument", "usage: pilotctl set-webhook <url>");
  const url = ctx.args[0];
  if (!url.startsWith("http://") && !url.startsWith("https://")) {
    throw new PilotError("invalid_argument", "webhook URL must start with http:// or https://");
  }
  const path = pilotPaths(ctx.env).config;
  const config = await loadConfig(path);
  config.webhook = url;
  await saveConfig(path, config);
  const applied = await applyWebhook(ctx.env, url);
  ctx.out.result({ applied, webhook: url }, webhookText(`webhook set: ${url}`, applied));
}

async function runClearWebhook(ctx: CommandContext): Promise<void> {
  const path = pilotPaths(ctx.env).config;
  const config = await loadConfig(path);
  delete config.webhook;
  await saveConfig(path, config);
  const applied = await applyWebhook(ctx.env, "");
  ctx.out.result({ applied, webhook: "" }, webhookText("webhook cleared", applied));
}

/** The discovery/settings group of the command table. */
export const DISCOVERY_COMMANDS: Readonly<Record<string, CommandRun>> = {
  find: runFind,
  "set-hostname": runSetHostname,
  "clear-hostname": runClearHostname,
  "set-tags": runSetTags,
  "clear-tags": runClearTags,
  "enable-tasks": taskExec("enable-tasks", true),
  "disable-tasks": taskExec("disable-tasks", false),
  "set-webhook": runSetWebhook,
  "clear-webhook": runClearWebhook,
};
