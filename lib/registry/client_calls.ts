/**
 * Typed registry calls of the daemon (control.md §4.3) over a {@linkcode RegistryClient}: each builds
 * the request (signing its §3.5.1 challenge), sends it, and reads the reply's members leniently. Every
 * result keeps the reply object as `raw`, since some IPC replies pass it through unchanged (§12.5).
 *
 * @module
 */

import { CHALLENGES } from "./auth.ts";
import type { RegistryClient, RequestOptions } from "./client.ts";
import { readBool, readInteger, readString, readStringArray, readU32 } from "./fields.ts";
import { isRecord, type RegistryMessage, type RegistryObject } from "./messages.ts";
import { PilotError } from "../errors.ts";

/** Every typed result carries the reply it came from. */
export interface RawReply {
  raw: RegistryMessage;
}

async function call(
  client: RegistryClient,
  message: RegistryObject,
  challenge: string | undefined,
  options?: RequestOptions,
): Promise<RegistryMessage> {
  const signature = challenge === undefined ? undefined : await client.sign(challenge);
  return await client.request({ ...message, signature }, options);
}

/** Input of {@linkcode register}. */
export interface RegisterRequest {
  publicKey: string;
  listenAddr: string;
  /** Sent only when non-empty, as the daemon does. */
  owner?: string;
  hostname?: string;
}

/** Reply of {@linkcode register}. */
export interface RegisterReply extends RawReply {
  nodeId: number;
  address: string;
  publicKey: string;
  hostname?: string;
  hostnameError?: string;
}

/** `register` (§3.7.1). */
export async function register(
  client: RegistryClient,
  request: RegisterRequest,
  options?: RequestOptions,
): Promise<RegisterReply> {
  const raw = await call(
    client,
    {
      type: "register",
      public_key: request.publicKey,
      listen_addr: request.listenAddr,
      owner: request.owner === "" ? undefined : request.owner,
      hostname: request.hostname === "" ? undefined : request.hostname,
    },
    undefined,
    options,
  );
  const nodeId = readU32(raw, "node_id");
  if (nodeId === 0) throw new PilotError("registry_bad_reply", "registry: register reply without node_id");
  const hostname = readString(raw, "hostname");
  const hostnameError = readString(raw, "hostname_error");
  return {
    raw,
    nodeId,
    address: readString(raw, "address"),
    publicKey: readString(raw, "public_key"),
    hostname: hostname === "" ? undefined : hostname,
    hostnameError: hostnameError === "" ? undefined : hostnameError,
  };
}

/** `heartbeat` (§3.7.2): returns the registry's Unix time in seconds. */
export async function heartbeat(
  client: RegistryClient,
  nodeId: number,
  options?: RequestOptions,
): Promise<number> {
  const raw = await call(
    client,
    { type: "heartbeat", node_id: nodeId },
    CHALLENGES.heartbeat(nodeId),
    options,
  );
  return readInteger(raw, "time") ?? 0;
}

/** `deregister` (§3.7.3). */
export async function deregister(
  client: RegistryClient,
  nodeId: number,
  options?: RequestOptions,
): Promise<void> {
  await call(client, { type: "deregister", node_id: nodeId }, CHALLENGES.deregister(nodeId), options);
}

/** Reply of {@linkcode lookup}. */
export interface LookupReply extends RawReply {
  nodeId: number;
  address: string;
  publicKey: string;
  public: boolean;
  poloScore: number;
  hostname: string;
  tags: string[];
  taskExec: boolean;
  /** Only for public nodes. */
  realAddr?: string;
}

/** `lookup` (§3.7.4). */
export async function lookup(
  client: RegistryClient,
  nodeId: number,
  options?: RequestOptions,
): Promise<LookupReply> {
  const raw = await call(client, { type: "lookup", node_id: nodeId }, undefined, options);
  const realAddr = readString(raw, "real_addr");
  return {
    raw,
    nodeId: readU32(raw, "node_id"),
    address: readString(raw, "address"),
    publicKey: readString(raw, "public_key"),
    public: readBool(raw, "public"),
    poloScore: readInteger(raw, "polo_score") ?? 0,
    hostname: readString(raw, "hostname"),
    tags: readStringArray(raw, "tags"),
    taskExec: readBool(raw, "task_exec"),
    realAddr: realAddr === "" ? undefined : realAddr,
  };
}

/** `resolve` (§3.7.5): the real endpoint of `nodeId`, asked by `requesterId`. */
export async function resolve(
  client: RegistryClient,
  nodeId: number,
  requesterId: number,
  options?: RequestOptions,
): Promise<RawReply & { nodeId: number; realAddr: string }> {
  const raw = await call(
    client,
    { type: "resolve", node_id: nodeId, requester_id: requesterId },
    CHALLENGES.resolve(requesterId, nodeId),
    options,
  );
  return { raw, nodeId: readU32(raw, "node_id"), realAddr: readString(raw, "real_addr") };
}

/** `resolve_hostname` (§3.7.6). */
export async function resolveHostname(
  client: RegistryClient,
  hostname: string,
  options?: RequestOptions,
): Promise<RawReply & { nodeId: number; address: string; public: boolean; hostname: string }> {
  const raw = await call(client, { type: "resolve_hostname", hostname }, undefined, options);
  return {
    raw,
    nodeId: readU32(raw, "node_id"),
    address: readString(raw, "address"),
    public: readBool(raw, "public"),
    hostname: readString(raw, "hostname"),
  };
}

/** `set_hostname` (§3.7.7); `""` clears. */
export async function setHostname(
  client: RegistryClient,
  nodeId: number,
  hostname: string,
  options?: RequestOptions,
): Promise<RegistryMessage> {
  return await call(
    client,
    { type: "set_hostname", node_id: nodeId, hostname },
    CHALLENGES.setHostname(nodeId),
    options,
  );
}

/** `set_visibility` (§3.7.8). */
export async function setVisibility(
  client: RegistryClient,
  nodeId: number,
  isPublic: boolean,
  options?: RequestOptions,
): Promise<RegistryMessage> {
  return await call(
    client,
    { type: "set_visibility", node_id: nodeId, public: isPublic },
    CHALLENGES.setVisibility(nodeId),
    options,
  );
}

/** `set_tags` (§3.7.9); an empty list clears. */
export async function setTags(
  client: RegistryClient,
  nodeId: number,
  tags: readonly string[],
  options?: RequestOptions,
): Promise<RegistryMessage> {
  return await call(
    client,
    { type: "set_tags", node_id: nodeId, tags: [...tags] },
    CHALLENGES.setTags(nodeId),
    options,
  );
}

/** `set_task_exec` (§3.7.10). */
export async function setTaskExec(
  client: RegistryClient,
  nodeId: number,
  enabled: boolean,
  options?: RequestOptions,
): Promise<RegistryMessage> {
  return await call(
    client,
    { type: "set_task_exec", node_id: nodeId, enabled },
    CHALLENGES.setTaskExec(nodeId),
    options,
  );
}

/** `report_trust` (§3.7.12). */
export async function reportTrust(
  client: RegistryClient,
  nodeId: number,
  peerId: number,
  options?: RequestOptions,
): Promise<void> {
  await call(
    client,
    { type: "report_trust", node_id: nodeId, peer_id: peerId },
    CHALLENGES.reportTrust(nodeId, peerId),
    options,
  );
}

/** `revoke_trust` (§3.7.12). */
export async function revokeTrust(
  client: RegistryClient,
  nodeId: number,
  peerId: number,
  options?: RequestOptions,
): Promise<void> {
  await call(
    client,
    { type: "revoke_trust", node_id: nodeId, peer_id: peerId },
    CHALLENGES.revokeTrust(nodeId, peerId),
    options,
  );
}

/** `request_handshake` (§3.7.13). */
export async function requestHandshake(
  client: RegistryClient,
  fromNodeId: number,
  toNodeId: number,
  justification: string,
  options?: RequestOptions,
): Promise<RegistryMessage> {
  return await call(
    client,
    { type: "request_handshake", from_node_id: fromNodeId, to_node_id: toNodeId, justification },
    CHALLENGES.handshake(fromNodeId, toNodeId),
    options,
  );
}

/** One relayed request or answer as `poll_handshakes` returns it (timestamps in Unix seconds). */
export interface PolledRequest {
  fromNodeId: number;
  justification: string;
  timestamp: number;
}

/** A relayed answer. */
export interface PolledResponse {
  fromNodeId: number;
  accept: boolean;
  timestamp: number;
}

/** `poll_handshakes` (§3.7.14): drains both inboxes. Malformed entries are skipped. */
export async function pollHandshakes(
  client: RegistryClient,
  nodeId: number,
  options?: RequestOptions,
): Promise<RawReply & { requests: PolledRequest[]; responses: PolledResponse[] }> {
  const raw = await call(
    client,
    { type: "poll_handshakes", node_id: nodeId },
    CHALLENGES.pollHandshakes(nodeId),
    options,
  );
  const entries = (name: string) => {
    const value = raw[name];
    return Array.isArray(value) ? value.filter(isRecord) : [];
  };
  return {
    raw,
    requests: entries("requests").map((e) => ({
      fromNodeId: readU32(e, "from_node_id"),
      justification: readString(e, "justification"),
      timestamp: readInteger(e, "timestamp") ?? 0,
    })),
    responses: entries("responses").map((e) => ({
      fromNodeId: readU32(e, "from_node_id"),
      accept: readBool(e, "accept"),
      timestamp: readInteger(e, "timestamp") ?? 0,
    })),
  };
}

/** `respond_handshake` (§3.7.15). */
export async function respondHandshake(
  client: RegistryClient,
  nodeId: number,
  peerId: number,
  accept: boolean,
  options?: RequestOptions,
): Promise<RegistryMessage> {
  return await call(
    client,
    { type: "respond_handshake", node_id: nodeId, peer_id: peerId, accept },
    CHALLENGES.respond(nodeId, peerId),
    options,
  );
}

/** `punch` (§3.7.16). */
export async function punch(
  client: RegistryClient,
  requesterId: number,
  nodeA: number,
  nodeB: number,
  options?: RequestOptions,
): Promise<RawReply & { nodeAAddr: string; nodeBAddr: string }> {
  const raw = await call(
    client,
    { type: "punch", requester_id: requesterId, node_a: nodeA, node_b: nodeB },
    CHALLENGES.punch(nodeA, nodeB),
    options,
  );
  return { raw, nodeAAddr: readString(raw, "node_a_addr"), nodeBAddr: readString(raw, "node_b_addr") };
}

/** `get_polo_score` (§3.7.17). */
export async function getPoloScore(
  client: RegistryClient,
  nodeId: number,
  options?: RequestOptions,
): Promise<number> {
  const raw = await call(client, { type: "get_polo_score", node_id: nodeId }, undefined, options);
  return readInteger(raw, "polo_score") ?? 0;
}

/** `update_polo_score`, signed by the node itself (our deviation, see `auth.ts`); returns the new score. */
export async function updatePoloScore(
  client: RegistryClient,
  nodeId: number,
  delta: number,
  options?: RequestOptions,
): Promise<number> {
  const d = Math.trunc(delta);
  const raw = await call(
    client,
    { type: "update_polo_score", node_id: nodeId, delta: d },
    CHALLENGES.updatePoloScore(nodeId, d),
    options,
  );
  return readInteger(raw, "polo_score") ?? 0;
}

/** `set_polo_score`, signed by the node itself (our deviation); returns the new score. */
export async function setPoloScore(
  client: RegistryClient,
  nodeId: number,
  score: number,
  options?: RequestOptions,
): Promise<number> {
  const s = Math.trunc(score);
  const raw = await call(
    client,
    { type: "set_polo_score", node_id: nodeId, polo_score: s },
    CHALLENGES.setPoloScore(nodeId, s),
    options,
  );
  return readInteger(raw, "polo_score") ?? 0;
}
