/**
 * Relay mode (network.md §3.10, §3.11; control.md §5.4 steps 4–5): which peers get every frame wrapped
 * in a beacon Relay message, and the wrapping itself.
 *
 * A peer enters relay mode when the transport gives up on the direct path (3 unanswered SYNs, with a
 * beacon configured) or when a Relay-Deliver arrives from it. The flag survives the peer's entry being
 * removed (trust revocation), as in the reference.
 *
 * Q22 (relay mode is permanent): kept as in the reference. Leaving relay mode on our own would need
 * proof that the direct path works in our direction, which one direct frame from the peer does not
 * give (NAT filtering can be one-way), and a wrong guess silently black-holes an open connection. The
 * tunnel offers `clearRelay(nodeId)` so the daemon can try a direct path again (for example on a new
 * dial after the peer re-registered with a new endpoint); a Relay-Deliver from the peer turns it back on.
 *
 * @module
 */

import { relayMessage } from "../beacon/mod.ts";
import { MAX_PEERS } from "./constants.ts";

/** The set of relay-mode peers, bounded like the peer table. */
export class RelayPeers {
  #nodes = new Set<number>();
  #limit: number;

  constructor(limit: number = MAX_PEERS) {
    this.#limit = limit;
  }

  /** True when frames to `nodeId` go through the beacon. */
  has(nodeId: number): boolean {
    return this.#nodes.has(nodeId);
  }

  /** Puts `nodeId` in relay mode; true when it was not already (false also when the set is full). */
  activate(nodeId: number): boolean {
    if (this.#nodes.has(nodeId) || this.#nodes.size >= this.#limit) return false;
    this.#nodes.add(nodeId);
    return true;
  }

  /** Takes `nodeId` out of relay mode (see the module note on Q22). */
  clear(nodeId: number): boolean {
    return this.#nodes.delete(nodeId);
  }
}

/** Relay(own id, destination, frame): the datagram sent to the beacon instead of `frame` (§3.11). */
export function wrapForRelay(ownId: number, destId: number, frame: Uint8Array): Uint8Array {
  return relayMessage(ownId, destId, frame);
}
