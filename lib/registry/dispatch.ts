/**
 * From a parsed message to its reply: routing by `type`, the generic error of §3.3 for every failure (the
 * real reason goes to the log), the `subscribe_replication` refusal of a registry without replication
 * (§3.13), and the per-type metrics.
 *
 * @module
 */

import { isPilotError } from "../errors.ts";
import { readString } from "./fields.ts";
import { type Handler, type HandlerContext, REQUEST_FAILED } from "./handler.ts";
import { HANDSHAKE_HANDLERS } from "./handlers_handshake.ts";
import { MISC_HANDLERS } from "./handlers_misc.ts";
import { NODE_HANDLERS } from "./handlers_nodes.ts";
import { TRUST_HANDLERS } from "./handlers_trust.ts";
import type { RegistryMessage, RegistryObject } from "./messages.ts";

/** Every handled type. A `Map`, so a type such as `"constructor"` cannot reach a prototype member. */
export const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ...NODE_HANDLERS,
  ...TRUST_HANDLERS,
  ...HANDSHAKE_HANDLERS,
  ...MISC_HANDLERS,
]);

/** The reply to send and whether the connection ends after it. */
export interface Dispatched {
  reply: RegistryObject;
  close: boolean;
}

/** Handles one request. Never throws for bad input: every failure becomes the wire error. */
export async function dispatch(message: RegistryMessage, ctx: HandlerContext): Promise<Dispatched> {
  const type = readString(message, "type");
  const started = performance.now();
  let failed = false;
  try {
    if (type === "subscribe_replication") {
      // We never configure a replication token, so every subscriber gets the reference's refusal (§3.13).
      failed = true;
      ctx.log.info("replication subscription refused", { reason: "replication not configured" });
      return { reply: { error: "replication not configured", type: "error" }, close: true };
    }
    const handler = HANDLERS.get(type);
    if (handler === undefined) {
      failed = true;
      ctx.log.info("request failed", { type: type.slice(0, 64), reason: "unknown message type" });
      return { reply: REQUEST_FAILED, close: false };
    }
    return { reply: await handler(message, ctx), close: false };
  } catch (err) {
    failed = true;
    if (isPilotError(err)) {
      ctx.log.info("request failed", { type, reason: err.message, code: err.code });
    } else {
      // A bug, not bad input: still one failed request, never a dead server.
      ctx.log.error("request handler crashed", { type, error: String(err) });
    }
    return { reply: REQUEST_FAILED, close: false };
  } finally {
    ctx.metrics.observe(type, (performance.now() - started) / 1000, failed);
  }
}
