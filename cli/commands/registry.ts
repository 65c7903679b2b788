/**
 * Registry commands (cli.md §8). `register`, `lookup` and `rotate-key` dial the registry themselves
 * (§3.5) and print its reply unchanged; `set-public`, `set-private` and `deregister` go through the
 * daemon, which signs them with the node identity.
 *
 * `register` sends no public key and `rotate-key` neither the owner nor a signature, exactly as the
 * reference does, so the registry refuses both (§8.1, §8.3, §20 item 6); they are kept that way on
 * purpose: the working ways are `daemon start` and the daemon's own key rotation.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { RegistryClient, type RegistryMessage, type RegistryObject } from "../../lib/registry/mod.ts";
import { parseNodeId } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { daemonCall, openDaemon } from "../daemon_link.ts";
import { type CliEnvironment, loadConfig, pilotPaths, resolveRegistry } from "../env.ts";

async function registryAddress(env: CliEnvironment): Promise<string> {
  return resolveRegistry(env, await loadConfig(pilotPaths(env).config));
}

/** Dials the registry of §3.5 and sends one request; failures carry §3.5's and §8's texts. */
export async function askRegistry(
  env: CliEnvironment,
  command: string,
  request: RegistryObject,
): Promise<RegistryMessage> {
  const address = await registryAddress(env);
  let client: RegistryClient;
  try {
    client = await RegistryClient.connect({ address });
  } catch (cause) {
    throw new PilotError("connection_failed", `cannot reach registry at ${address}`, {
      hint: `check that the registry is running at ${address}, or set PILOT_REGISTRY`,
      cause,
    });
  }
  try {
    return await client.request(request);
  } catch (cause) {
    // An error reply reads `registry: <error>`; a lost connection the client's reconnect failure.
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new PilotError("connection_failed", `${command}: ${detail}`, { cause });
  } finally {
    await client.close();
  }
}

async function runRegister(ctx: CommandContext): Promise<void> {
  const listenAddr = ctx.args[0] ?? "";
  ctx.out.result(await askRegistry(ctx.env, "register", { type: "register", listen_addr: listenAddr }));
}

async function runLookup(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) throw new PilotError("invalid_argument", "usage: pilotctl lookup <node_id>");
  const nodeId = parseNodeId(ctx.args[0]);
  ctx.out.result(await askRegistry(ctx.env, "lookup", { type: "lookup", node_id: nodeId }));
}

async function runRotateKey(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 2) {
    throw new PilotError("invalid_argument", "usage: pilotctl rotate-key <node_id> <owner>");
  }
  const nodeId = parseNodeId(ctx.args[0]);
  ctx.out.result(await askRegistry(ctx.env, "rotate-key", { type: "rotate_key", node_id: nodeId }));
}

function visibility(command: string, isPublic: boolean): CommandRun {
  return async (ctx) => {
    await using ipc = await openDaemon(ctx.env);
    ctx.out.result(await daemonCall(command, "set_visibility", () => ipc.setVisibility(isPublic)));
  };
}

async function runDeregister(ctx: CommandContext): Promise<void> {
  await using ipc = await openDaemon(ctx.env);
  ctx.out.result(await daemonCall("deregister", "deregister", () => ipc.deregister()));
}

/** The registry group of the command table. */
export const REGISTRY_COMMANDS: Readonly<Record<string, CommandRun>> = {
  register: runRegister,
  lookup: runLookup,
  "rotate-key": runRotateKey,
  "set-public": visibility("set-public", true),
  "set-private": visibility("set-private", false),
  deregister: runDeregister,
};
