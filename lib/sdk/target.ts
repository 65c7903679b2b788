/**
 * Turns a dial or datagram target into an address, the same way for both SDK forms: an `Address`
 * passes through, text with a colon is an address `N:XXXX.XXXX.XXXX`, anything else is a hostname for
 * the resolver.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { parseAddress } from "../protocol/mod.ts";
import type { Address } from "../protocol/mod.ts";
import type { HostnameResolver, Target } from "./contract.ts";

/**
 * The address of `target`.
 *
 * @throws {PilotError} `invalid_argument` for a malformed text address; `not_found` for a hostname
 *   without a resolver; whatever the resolver throws.
 * @example
 * ```ts
 * import { targetAddress } from "./target.ts";
 * const a = await targetAddress("0:0000.0000.0002", undefined, undefined);
 * if (a.node !== 2) throw new Error("parsed");
 * ```
 */
export async function targetAddress(
  target: Target,
  resolve: HostnameResolver | undefined,
  signal: AbortSignal | undefined,
): Promise<Address> {
  if (typeof target !== "string") return target;
  if (target.includes(":")) return parseAddress(target);
  if (resolve === undefined) {
    throw new PilotError("not_found", `cannot resolve hostname ${target}: no resolver`, {
      hint: "pass an address N:XXXX.XXXX.XXXX, or give the SDK a resolveHostname",
    });
  }
  return await resolve(target, signal);
}
