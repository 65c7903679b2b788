/**
 * The webhook POST body (control.md §10.8, §12.10): a struct-ordered object `event`, `node_id`,
 * `timestamp`, then `data` with its keys sorted, left out when there is none or it is empty. Text
 * follows the reference's JSON rules through lib/json/go_json.ts. Pure: the caller passes the time.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { escapeGoJson, formatSortedJson } from "../json/go_json.ts";
import type { WebhookData } from "./events.ts";
import { dateToEpochNs, formatRfc3339Nano } from "./timestamp.ts";

/**
 * Encodes one event as the body text. `time` is epoch nanoseconds or a `Date`. Throws
 * `service_webhook_node_id` for a node id that is not a u32, `service_webhook_time` for a time outside
 * years 0–9999 and `service_webhook_data` for a value JSON cannot carry (a non-finite number).
 *
 * @example
 * ```ts
 * import { encodeWebhookBody } from "./body.ts";
 * const body = encodeWebhookBody("trust.revoked", 1, 1_795_545_243_521_488_654n, { peer_node_id: 2 });
 * const want = '{"event":"trust.revoked","node_id":1,"timestamp":"2026-11-24T18:34:03.521488654Z",' +
 *   '"data":{"peer_node_id":2}}';
 * if (body !== want) throw new Error(body);
 * ```
 */
export function encodeWebhookBody(
  event: string,
  nodeId: number,
  time: bigint | Date,
  data?: WebhookData,
): string {
  if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 0xffff_ffff) {
    throw new PilotError("service_webhook_node_id", `node id ${nodeId} is not a 32-bit unsigned integer`);
  }
  const timestamp = formatRfc3339Nano(typeof time === "bigint" ? time : dateToEpochNs(time));
  const head = `{"event":${
    escapeGoJson(JSON.stringify(event))
  },"node_id":${nodeId},"timestamp":"${timestamp}"`;
  if (data === undefined || Object.keys(data).length === 0) return `${head}}`;
  let members: string;
  try {
    members = formatSortedJson(data);
  } catch (cause) {
    throw new PilotError("service_webhook_data", `event ${event}: data cannot be written as JSON`, { cause });
  }
  return `${head},"data":${members}}`;
}
