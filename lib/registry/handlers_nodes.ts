/**
 * Handlers of the node directory (control.md §3.7.1–§3.7.11): registration, liveness, lookups and the
 * node's own attributes. Trust, handshakes, score, beacons and networks have their own modules.
 *
 * @module
 */

import { CHALLENGES, requireSignature } from "./auth.ts";
import { OWNER_MAX_BYTES } from "./constants.ts";
import { readBool, readString, readStringArray, readU32 } from "./fields.ts";
import { fail, type Handler, type HandlerContext, nodeAddress } from "./handler.ts";
import type { RegistryMessage } from "./messages.ts";
import type { NodeRecord } from "./node_record.ts";
import { hostnameProblem, normaliseTags } from "./validate.ts";

/** Loads a node or fails with the reference's reason. */
export async function requireNode(ctx: HandlerContext, id: number): Promise<NodeRecord> {
  const node = await ctx.store.getNode(id);
  if (node === undefined) fail(`node ${id}: node not found`);
  return node;
}

/** True when `text` is standard base64 of exactly 32 bytes. */
export function isPublicKey(text: string): boolean {
  try {
    return Uint8Array.fromBase64(text).byteLength === 32;
  } catch {
    return false;
  }
}

/**
 * §3.7.1 step 3: the TCP source IP joined with the port of `listen_addr` (the client never picks the IP);
 * the whole TCP source when `listen_addr` has no usable port.
 */
export function realAddress(remote: HandlerContext["remote"], listenAddr: string): string {
  const host = remote.hostname.includes(":") ? `[${remote.hostname}]` : remote.hostname;
  const port = portOf(listenAddr);
  return `${host}:${port ?? remote.port}`;
}

function portOf(hostPort: string): number | undefined {
  const colon = hostPort.lastIndexOf(":");
  if (colon === -1) return undefined;
  const host = hostPort.slice(0, colon);
  // Like a host:port splitter: a bare IPv6 host must be bracketed.
  if (host.includes(":") && !(host.startsWith("[") && host.endsWith("]"))) return undefined;
  const text = hostPort.slice(colon + 1);
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 0xFFFF ? port : undefined;
}

const register: Handler = async (message, ctx) => {
  const publicKey = readString(message, "public_key");
  const ip = ctx.remote.hostname;
  if (!ctx.rateLimiter.tryTake(ip, ctx.now())) {
    // Known identities bypass the limit (§3.10), so a busy NAT cannot lock its daemons out.
    if (publicKey === "" || (await ctx.store.idOfKey(publicKey)) === undefined) {
      fail(`rate limited: too many registrations from ${ip}`);
    }
  }
  if (publicKey === "") fail("registration requires public_key");
  if (!isPublicKey(publicKey)) fail("invalid public key: not base64 of 32 bytes");
  const owner = readString(message, "owner");
  if (new TextEncoder().encode(owner).byteLength > OWNER_MAX_BYTES) {
    fail(`owner too long (max ${OWNER_MAX_BYTES} bytes)`);
  }
  const requested = readString(message, "hostname");
  const hostnameError = requested === "" ? undefined : hostnameProblem(requested);
  const outcome = await ctx.store.register({
    publicKey,
    owner,
    realAddr: realAddress(ctx.remote, readString(message, "listen_addr")),
    hostname: hostnameError === undefined ? requested : "",
  }, ctx.now());
  ctx.metrics.count("registrations");
  ctx.log.info("node registered", { node_id: outcome.id, via: outcome.via });
  return {
    type: "register_ok",
    node_id: outcome.id,
    network_id: 0,
    address: nodeAddress(outcome.id),
    public_key: publicKey,
    hostname: outcome.hostnameApplied ? requested : undefined,
    hostname_error: hostnameError,
  };
};

const heartbeat: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const node = await requireNode(ctx, id);
  await requireSignature(node, CHALLENGES.heartbeat(id), message);
  const now = ctx.now();
  if (!(await ctx.store.touch(id, now))) fail(`node ${id}: node not found`);
  return { type: "heartbeat_ok", time: Math.floor(now / 1000) };
};

const deregister: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const node = await ctx.store.getNode(id);
  // An unknown node succeeds without any check (§3.7.3, observed).
  if (node === undefined) return { type: "deregister_ok" };
  await requireSignature(node, CHALLENGES.deregister(id), message);
  if (await ctx.store.removeNode(id)) {
    ctx.metrics.count("deregistrations");
    ctx.log.info("node deregistered", { node_id: id });
  }
  return { type: "deregister_ok" };
};

const lookup: Handler = async (message, ctx) => {
  const node = await requireNode(ctx, readU32(message, "node_id"));
  return {
    type: "lookup_ok",
    node_id: node.id,
    address: nodeAddress(node.id),
    networks: [0],
    public_key: node.publicKey,
    public: node.public,
    polo_score: node.poloScore,
    hostname: node.hostname === "" ? undefined : node.hostname,
    tags: node.tags.length === 0 ? undefined : [...node.tags],
    task_exec: node.taskExec ? true : undefined,
    real_addr: node.public ? node.realAddr : undefined,
  };
};

const resolve: Handler = async (message, ctx) => {
  const target = readU32(message, "node_id");
  const requesterId = readU32(message, "requester_id");
  const requester = await ctx.store.getNode(requesterId);
  if (requester === undefined) fail(`resolve denied: requester node ${requesterId} is not registered`);
  await requireSignature(requester, CHALLENGES.resolve(requesterId, target), message);
  const node = await requireNode(ctx, target);
  // Only the backbone exists in this build, so trust is the one way to reach a private node (§3.7.5).
  if (!node.public && !(await ctx.store.trust.has(requesterId, target))) {
    fail(`resolve denied: node ${target} is private (establish mutual trust first)`);
  }
  return { type: "resolve_ok", node_id: node.id, real_addr: node.realAddr };
};

const resolveHostname: Handler = async (message, ctx) => {
  const hostname = readString(message, "hostname");
  if (hostname === "") fail("hostname required");
  const id = await ctx.store.idOfHostname(hostname);
  const node = id === undefined ? undefined : await ctx.store.getNode(id);
  if (node === undefined) fail(`hostname ${JSON.stringify(hostname)} not found`);
  return {
    type: "resolve_hostname_ok",
    node_id: node.id,
    address: nodeAddress(node.id),
    public: node.public,
    hostname: node.hostname,
  };
};

const setHostname: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const hostname = readString(message, "hostname");
  const problem = hostnameProblem(hostname);
  if (problem !== undefined) fail(problem);
  const node = await requireNode(ctx, id);
  await requireSignature(node, CHALLENGES.setHostname(id), message);
  const outcome = await ctx.store.setHostname(id, hostname);
  if (!outcome.ok) {
    if ("heldBy" in outcome) {
      fail(`hostname ${JSON.stringify(hostname)} already in use by node ${outcome.heldBy}`);
    }
    fail(`node ${id}: node not found`);
  }
  return { type: "set_hostname_ok", node_id: id, hostname };
};

/** Shared shape of the signed attribute setters: load, verify, change, commit. */
async function changeSigned(
  message: RegistryMessage,
  ctx: HandlerContext,
  challenge: (id: number) => string,
  change: (node: NodeRecord) => NodeRecord,
): Promise<NodeRecord> {
  const id = readU32(message, "node_id");
  const node = await requireNode(ctx, id);
  await requireSignature(node, challenge(id), message);
  const updated = await ctx.store.updateNode(id, change);
  if (updated === undefined) fail(`node ${id}: node not found`);
  return updated;
}

const setVisibility: Handler = async (message, ctx) => {
  const isPublic = readBool(message, "public");
  const node = await changeSigned(
    message,
    ctx,
    CHALLENGES.setVisibility,
    (n) => ({ ...n, public: isPublic }),
  );
  return { type: "set_visibility_ok", node_id: node.id, visibility: isPublic ? "public" : "private" };
};

const setTags: Handler = async (message, ctx) => {
  const normalised = normaliseTags(readStringArray(message, "tags"));
  if ("problem" in normalised) fail(normalised.problem);
  const tags = normalised.tags;
  const node = await changeSigned(message, ctx, CHALLENGES.setTags, (n) => ({ ...n, tags }));
  // A cleared list is written as JSON null, as the reference does (§3.7.9).
  return { type: "set_tags_ok", node_id: node.id, tags: tags.length === 0 ? null : tags };
};

const setTaskExec: Handler = async (message, ctx) => {
  const enabled = readBool(message, "enabled");
  const node = await changeSigned(message, ctx, CHALLENGES.setTaskExec, (n) => ({ ...n, taskExec: enabled }));
  return { type: "set_task_exec_ok", node_id: node.id, task_exec: enabled };
};

const rotateKey: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  if (readString(message, "signature") === "") fail("rotate_key requires a valid signature");
  const newKey = readString(message, "new_public_key");
  if (newKey === "") fail("rotate_key requires new_public_key");
  if (!isPublicKey(newKey)) fail("invalid new public key: not base64 of 32 bytes");
  const node = await requireNode(ctx, id);
  await requireSignature(node, CHALLENGES.rotate(id), message);
  const rotated = await ctx.store.rotateKey(id, newKey, ctx.now());
  if (rotated === undefined) fail(`node ${id}: node not found`);
  return { type: "rotate_key_ok", node_id: id, address: nodeAddress(id), public_key: newKey };
};

/** The handlers of this module by message type. */
export const NODE_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["register", register],
  ["heartbeat", heartbeat],
  ["deregister", deregister],
  ["lookup", lookup],
  ["resolve", resolve],
  ["resolve_hostname", resolveHostname],
  ["set_hostname", setHostname],
  ["set_visibility", setVisibility],
  ["set_tags", setTags],
  ["set_task_exec", setTaskExec],
  ["rotate_key", rotateKey],
]);
