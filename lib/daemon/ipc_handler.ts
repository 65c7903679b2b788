/**
 * The daemon side of the IPC commands (control.md §9.2–§9.4). Registry-backed commands are answered
 * here with the registry's reply objects relayed as they are; stream, datagram and trust commands are
 * handed to the parts of the daemon that own them. Errors carry the reference's message texts, which
 * the IPC server turns into Error frames.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { IpcHandler, IpcRequest, IpcSession } from "../ipc/mod.ts";
import {
  deregister,
  type RegistryClient,
  resolveHostname,
  setHostname,
  setTags,
  setTaskExec,
  setVisibility,
} from "../registry/mod.ts";

/** The reference refuses more than this many tags before normalising them (§9.2). */
const MAX_TAGS = 3;

/** What a command needs to know about the running node. */
export interface NodeView {
  nodeId(): number;
  registry(): RegistryClient;
  /** The Info JSON of §9.3. */
  info(): Record<string, unknown>;
  /** Called after a successful SetVisibility: the admission rule follows it. */
  visibilityChanged(isPublic: boolean): void;
  /** Called after a successful SetHostname, so Info reports it. */
  hostnameChanged(hostname: string): void;
  /** Called after SetWebhook. */
  webhookChanged(url: string): void;
}

/** The stream, datagram and trust commands, owned by the data plane. */
export interface DataPlaneCommands {
  handle(client: IpcSession, msg: IpcRequest): Promise<void>;
  clientClosed(client: IpcSession): Promise<void>;
}

/** Builds the IPC handler of a daemon. */
export function createIpcHandler(node: NodeView, dataPlane: DataPlaneCommands | undefined): IpcHandler {
  return {
    async handleMessage(client, msg) {
      switch (msg.kind) {
        case "info":
          await client.send({ kind: "info_ok", json: node.info() });
          return;
        case "resolve_hostname": {
          if (msg.hostname === "") throw new PilotError("ipc_error", "resolve_hostname: missing hostname");
          const reply = await registryCall(
            "resolve_hostname",
            () => resolveHostname(node.registry(), msg.hostname),
          );
          await client.send({ kind: "resolve_hostname_ok", json: reply.raw });
          return;
        }
        case "set_hostname": {
          const reply = await registryCall(
            "set_hostname",
            () => setHostname(node.registry(), node.nodeId(), msg.hostname),
          );
          node.hostnameChanged(msg.hostname);
          await client.send({ kind: "set_hostname_ok", json: reply });
          return;
        }
        case "set_visibility": {
          const reply = await registryCall(
            "set_visibility",
            () => setVisibility(node.registry(), node.nodeId(), msg.public),
          );
          await client.send({ kind: "set_visibility_ok", json: reply });
          return;
        }
        case "deregister":
          await registryCall("deregister", () => deregister(node.registry(), node.nodeId()));
          await client.send({ kind: "deregister_ok", json: { type: "deregister_ok" } });
          return;
        case "set_tags": {
          if (msg.tags.length > MAX_TAGS) {
            throw new PilotError("ipc_error", `set_tags: maximum ${MAX_TAGS} tags allowed`);
          }
          const reply = await registryCall(
            "set_tags",
            () => setTags(node.registry(), node.nodeId(), msg.tags),
          );
          await client.send({ kind: "set_tags_ok", json: reply });
          return;
        }
        case "set_task_exec": {
          const reply = await registryCall(
            "set_task_exec",
            () => setTaskExec(node.registry(), node.nodeId(), msg.enabled),
          );
          await client.send({ kind: "set_task_exec_ok", json: reply });
          return;
        }
        case "set_webhook":
          node.webhookChanged(msg.url);
          await client.send({ kind: "set_webhook_ok", json: { webhook: msg.url } });
          return;
        case "bind":
        case "dial":
        case "send":
        case "close":
        case "send_to":
        case "handshake":
          if (dataPlane === undefined) {
            throw new PilotError("ipc_error", `${msg.kind}: the data plane is not running on this daemon`);
          }
          await dataPlane.handle(client, msg);
          return;
        default: {
          const unhandled: never = msg;
          throw new Error(`unhandled IPC request ${JSON.stringify(unhandled)}`);
        }
      }
    },
    async onClientClosed(client) {
      await dataPlane?.clientClosed(client);
    },
  };
}

/** Runs a registry call and words its failure as the reference does: `<command>: <registry error>`. */
async function registryCall<T>(command: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    throw new PilotError("ipc_error", `${command}: ${text}`, { cause: err });
  }
}
