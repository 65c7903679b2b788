/**
 * lib/webhook: the daemon's webhook client (control.md §10.8). {@linkcode WebhookClient} queues events
 * and POSTs them in order to one URL, hot-swappable; {@linkcode encodeWebhookBody} is the pure body
 * codec; {@linkcode WebhookEventName} lists every event of the §10.8 table with its `data`.
 *
 * @example
 * ```ts
 * import { encodeWebhookBody, WebhookClient } from "./mod.ts";
 * await using hooks = new WebhookClient({ url: "", nodeId: () => 1 });
 * hooks.emit("trust.revoked", { peer_node_id: 2 });
 * const body = encodeWebhookBody("node.deregistered", 1, 1_795_545_243_000_000_000n);
 * if (body !== '{"event":"node.deregistered","node_id":1,"timestamp":"2026-11-24T18:34:03Z"}') throw new Error();
 * ```
 *
 * @module
 */

export {
  WEBHOOK_DRAIN_TIMEOUT_MS,
  WEBHOOK_QUEUE_CAPACITY,
  WEBHOOK_TIMEOUT_MS,
  WEBHOOK_USER_AGENT,
  WebhookClient,
  type WebhookClientOptions,
  type WebhookStats,
} from "./client.ts";
export { encodeWebhookBody } from "./body.ts";
export { dateToEpochNs, formatRfc3339Nano, wallClockNs } from "./timestamp.ts";
export * from "./events.ts";
