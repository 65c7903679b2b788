/**
 * The registry-relayed trust handshake (control.md §3.7.13–§3.7.15, §7.5): a request waits in the
 * target's inbox, the answer in the requester's; both are drained by `poll_handshakes`.
 *
 * @module
 */

import { CHALLENGES, requireSignature } from "./auth.ts";
import { JUSTIFICATION_MAX_BYTES } from "./constants.ts";
import { readBool, readString, readU32 } from "./fields.ts";
import { fail, type Handler } from "./handler.ts";
import { requireNode } from "./handlers_nodes.ts";

const requestHandshake: Handler = async (message, ctx) => {
  const from = readU32(message, "from_node_id");
  const to = readU32(message, "to_node_id");
  const justification = readString(message, "justification");
  const sender = await requireNode(ctx, from);
  await requireNode(ctx, to);
  await requireSignature(sender, CHALLENGES.handshake(from, to), message, {
    missing: "handshake request requires signature",
    invalid: "handshake request signature verification failed",
  });
  if (new TextEncoder().encode(justification).byteLength > JUSTIFICATION_MAX_BYTES) {
    fail(`justification too long (max ${JUSTIFICATION_MAX_BYTES} bytes)`);
  }
  const outcome = await ctx.store.inbox.pushRequest(to, from, justification, ctx.now());
  if (outcome === "full") fail(`handshake inbox full for node ${to}`);
  if (outcome === "pending") fail(`handshake request already pending from node ${from}`);
  ctx.metrics.count("handshake_requests");
  return { type: "request_handshake_ok", status: "delivered" };
};

const pollHandshakes: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const node = await requireNode(ctx, id);
  await requireSignature(node, CHALLENGES.pollHandshakes(id), message);
  const { requests, responses } = await ctx.store.inbox.drain(id);
  return {
    type: "poll_handshakes_ok",
    requests: requests.map((r) => ({
      from_node_id: r.fromNodeId,
      justification: r.justification,
      timestamp: Math.floor(r.timeMs / 1000),
    })),
    responses: responses.map((r) => ({
      accept: r.accept,
      from_node_id: r.fromNodeId,
      timestamp: Math.floor(r.timeMs / 1000),
    })),
  };
};

const respondHandshake: Handler = async (message, ctx) => {
  const id = readU32(message, "node_id");
  const peer = readU32(message, "peer_id");
  const accept = readBool(message, "accept");
  const node = await requireNode(ctx, id);
  await requireNode(ctx, peer);
  await requireSignature(node, CHALLENGES.respond(id, peer), message);
  if (accept) await ctx.store.trust.add(id, peer);
  // No pending request is required and nothing leaves the responder's inbox (§3.7.15).
  await ctx.store.inbox.pushResponse(peer, id, accept, ctx.now());
  return { type: "respond_handshake_ok", accept, peer_id: peer };
};

/** The handlers of this module by message type. */
export const HANDSHAKE_HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["request_handshake", requestHandshake],
  ["poll_handshakes", pollHandshakes],
  ["respond_handshake", respondHandshake],
]);
