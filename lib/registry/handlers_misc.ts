/**
 * The remaining message types: polo score (§3.7.17, with our signed-update deviation, see `auth.ts`),
 * beacon announcements (§3.7.18) and the network calls of a backbone-only build (§3.7.19–§3.7.21).
 *
 * @module
 */

import { CHALLENGES, requireSignature } from "./auth.ts";
import { BEACON_ADDR_MAX_BYTES } from "./constants.ts";
import { clampInteger, readInteger, readString, readU16, readU32 } from "./fields.ts";
import { fail, type Handler, type HandlerContext, nodeAddress } from "./handler.ts";
import type { RegistryMessage, RegistryObject } from "./messages.ts";
import type { NodeRecord } from "./node_record.ts";

function scoreReply(type: string, node: NodeRecord): RegistryObject {
  return { type, node_id: node.id, address: nodeAddress(node.id), polo_score: node.poloScore };
}

async function requireScoredNode(ctx: HandlerContext, id: number): Promise<NodeRecord> {
  const node = await ctx.store.getNode(id);
  if (node === undefined) fail(`node ${id} not found`);
  return node;
}

const getPoloScore: Handler = async (message, ctx) => {
  return scoreReply("get_polo_score_ok", await requireScoredNode(ctx, readU32(message, "node_id")));
};

async function changeScore(
  message: RegistryMessage,
  ctx: HandlerContext,
  value: number,
  challenge: string,
  apply: (score: number) => number,
): Promise<NodeRecord> {
  const id = readU32(message, "node_id");
  const node = await requireScoredNode(ctx, id);
  await requireSignature(node, challenge, message);
  const updated = await ctx.store.updateNode(id, (n) => ({ ...n, poloScore: apply(n.poloScore) }), ctx.now());
  if (updated === undefined) fail(`node ${id} not found`);
  ctx.log.debug("polo score changed", { node_id: id, value, polo_score: updated.poloScore });
  return updated;
}

const updatePoloScore: Handler = async (message, ctx) => {
  const delta = readInteger(message, "delta");
  if (delta === undefined) fail("update_polo_score requires delta field");
  const id = readU32(message, "node_id");
  const node = await changeScore(
    message,
    ctx,
    delta,
    CHALLENGES.updatePoloScore(id, delta),
    (score) => clampInteger(score + delta),
  );
  return scoreReply("update_polo_score_ok", node);
};

const setPoloScore: Handler = async (message, ctx) => {
  const score = readInteger(message, "polo_score");
  if (score === undefined) fail("set_polo_score requires polo_score field");
  const id = readU32(message, "node_id");
  const node = await changeScore(message, ctx, score, CHALLENGES.setPoloScore(id, score), () => score);
  return scoreReply("set_polo_score_ok", node);
};

const beaconRegister: Handler = async (message, ctx) => {
  const id = readU32(message, "beacon_id");
  const addr = readString(message, "addr");
  if (id === 0) fail("beacon_id required");
  if (addr === "") fail("addr required");
  if (new TextEncoder().encode(addr).byteLength > BEACON_ADDR_MAX_BYTES) fail("addr too long");
  await ctx.store.beacons.register(id, addr, ctx.now(), ctx.beaconTtlMs);
  return { type: "beacon_register_ok", beacon_id: id };
};

const beaconList: Handler = async (_message, ctx) => {
  const beacons = await ctx.store.beacons.list(ctx.now() - ctx.beaconTtlMs);
  return { type: "beacon_list_ok", beacons: beacons.map((b) => ({ addr: b.addr, id: b.id })) };
};

const listNetworks: Handler = async (_message, ctx) => {
  const members = (await ctx.store.listNodes()).length;
  return { type: "list_networks_ok", networks: [{ id: 0, join_rule: "open", members, name: "backbone" }] };
};

const listNodes: Handler = (message) => {
  const network = readU16(message, "network_id");
  if (network === 0) fail("listing backbone nodes is not permitted (use lookup with a specific node_id)");
  fail(`network ${network}: network not found`);
};

const networksWip: Handler = () => {
  fail("custom networks are WIP — only backbone (network 0) is available");
};

/** The handlers of this module by message type. */
export const MISC_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["get_polo_score", getPoloScore],
  ["update_polo_score", updatePoloScore],
  ["set_polo_score", setPoloScore],
  ["beacon_register", beaconRegister],
  ["beacon_list", beaconList],
  ["list_networks", listNetworks],
  ["list_nodes", listNodes],
  ["create_network", networksWip],
  ["join_network", networksWip],
  ["leave_network", networksWip],
]);
