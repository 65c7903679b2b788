/**
 * Trust pairs and punch coordination (control.md §3.7.12, §3.7.16). Pairs are unordered and created by
 * one side alone (the reference's privacy quirk, kept for compatibility: resolve checks only the pair).
 *
 * @module
 */

import { CHALLENGES, requireSignature } from "./auth.ts";
import { readU32 } from "./fields.ts";
import { fail, type Handler } from "./handler.ts";
import { requireNode } from "./handlers_nodes.ts";

const reportTrust: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const peer = readU32(message, "peer_id");
  const node = await requireNode(ctx, id);
  await requireSignature(node, CHALLENGES.reportTrust(id, peer), message);
  await requireNode(ctx, peer);
  await ctx.store.trust.add(id, peer);
  ctx.metrics.count("trust_reports");
  return { type: "report_trust_ok" };
};

const revokeTrust: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const peer = readU32(message, "peer_id");
  const node = await requireNode(ctx, id);
  await requireSignature(node, CHALLENGES.revokeTrust(id, peer), message);
  if (!(await ctx.store.trust.remove(id, peer))) fail(`no trust pair between ${id} and ${peer}`);
  ctx.metrics.count("trust_revocations");
  return { type: "revoke_trust_ok" };
};

const punch: Handler = async (message, ctx) => {
  const requesterId = readU32(message, "requester_id");
  const a = readU32(message, "node_a");
  const b = readU32(message, "node_b");
  const requester = await requireNode(ctx, requesterId);
  await requireSignature(requester, CHALLENGES.punch(a, b), message);
  if (requesterId !== a && requesterId !== b) fail("punch denied: requester must be participant");
  const nodeA = await requireNode(ctx, a);
  const nodeB = await requireNode(ctx, b);
  return { type: "punch_ok", node_a: a, node_a_addr: nodeA.realAddr, node_b: b, node_b_addr: nodeB.realAddr };
};

/** The handlers of this module by message type. */
export const TRUST_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["report_trust", reportTrust],
  ["revoke_trust", revokeTrust],
  ["punch", punch],
]);
