/**
 * Packets waiting for a peer's key exchange (network.md §3.6 step 5.2): at most 64 per peer, the oldest
 * dropped when full, and at most 256 peers with a queue at once (a packet for a 257th is not queued).
 * Flushed in queue order once the peer's key exchange is accepted.
 *
 * @module
 */

import { MAX_PENDING_PEERS, PENDING_PER_PEER } from "./constants.ts";

/** What {@linkcode PendingQueues.push} did with a packet. */
export type PendingOutcome = "queued" | "queued_dropped_oldest" | "refused_too_many_peers";

/** Options of {@linkcode PendingQueues}. */
export interface PendingQueuesOptions {
  /** Default {@linkcode PENDING_PER_PEER}. */
  perPeer?: number;
  /** Default {@linkcode MAX_PENDING_PEERS}. */
  maxPeers?: number;
}

/**
 * The pending queues of all peers.
 *
 * @example
 * ```ts
 * import { PendingQueues } from "./pending_queue.ts";
 * const queues = new PendingQueues({ perPeer: 2 });
 * for (const n of [1, 2, 3]) queues.push(7, Uint8Array.of(n));
 * if (queues.take(7).map((p) => p[0]).join() !== "2,3") throw new Error("oldest dropped");
 * ```
 */
export class PendingQueues {
  #queues = new Map<number, Uint8Array[]>();
  #perPeer: number;
  #maxPeers: number;

  constructor(options: PendingQueuesOptions = {}) {
    this.#perPeer = options.perPeer ?? PENDING_PER_PEER;
    this.#maxPeers = options.maxPeers ?? MAX_PENDING_PEERS;
  }

  /** Peers that have a queue. */
  get peers(): number {
    return this.#queues.size;
  }

  /** Packets queued for `nodeId`. */
  size(nodeId: number): number {
    return this.#queues.get(nodeId)?.length ?? 0;
  }

  /** Queues `packet` (kept as given: pass a copy the caller will not reuse). */
  push(nodeId: number, packet: Uint8Array): PendingOutcome {
    let queue = this.#queues.get(nodeId);
    if (queue === undefined) {
      if (this.#queues.size >= this.#maxPeers) return "refused_too_many_peers";
      queue = [];
      this.#queues.set(nodeId, queue);
    }
    queue.push(packet);
    if (queue.length <= this.#perPeer) return "queued";
    queue.shift();
    return "queued_dropped_oldest";
  }

  /** Removes and returns `nodeId`'s queue, oldest first (empty when there is none). */
  take(nodeId: number): Uint8Array[] {
    const queue = this.#queues.get(nodeId);
    if (queue === undefined) return [];
    this.#queues.delete(nodeId);
    return queue;
  }
}
