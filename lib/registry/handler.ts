/**
 * What every message handler receives and returns. A handler either returns its `*_ok` object or throws
 * a `PilotError` whose message is the real reason; the server logs that reason and answers with the
 * generic wire error of control.md §3.3.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { formatAddress } from "../protocol/mod.ts";
import type { RegistryMessage, RegistryObject } from "./messages.ts";
import type { RegistryMetrics } from "./metrics.ts";
import type { RateLimiter } from "./rate_limit.ts";
import type { RegistryStore } from "./store.ts";

/** Per-request context. */
export interface HandlerContext {
  readonly store: RegistryStore;
  /** TCP peer of the connection the request came on. */
  readonly remote: { readonly hostname: string; readonly port: number };
  /** Wall clock in ms (injected, so tests could steer it). */
  readonly now: () => number;
  readonly log: Logger;
  readonly rateLimiter: RateLimiter;
  readonly metrics: RegistryMetrics;
  /** §3.7.18: how long a beacon entry stays listed. */
  readonly beaconTtlMs: number;
}

/** One message type's handler. */
export type Handler = (message: RegistryMessage, ctx: HandlerContext) => Promise<RegistryObject>;

/** The wire body of every handler failure (§3.3). */
export const REQUEST_FAILED: RegistryObject = { error: "request failed", type: "error" };

/** Throws the failure of a request; `reason` goes to the log only. */
export function fail(reason: string): never {
  throw new PilotError("registry_request_failed", reason);
}

/** The network-0 text address of node `id` (`0:0000.HHHH.LLLL`). */
export function nodeAddress(id: number): string {
  return formatAddress({ network: 0, node: id });
}
