/**
 * One bound on the bytes in flight to one peer node across all our connections to it (ours; the
 * reference has none). Each connection's congestion window is its own, but on loopback and LAN paths
 * they all land in the peer's one UDP socket, whose default buffer holds about 25 full datagrams
 * (congestion.ts). A thousand connections each opening with a 40 KB window overflowed it by tens of
 * thousands of datagrams, and the retransmission storm reset connections. With the budget, a sender
 * with room in its own window waits its turn while the path is full, and the connections to a peer
 * share the path in FIFO turns as acknowledgements free it.
 *
 * Only connections whose fastest round trip is short take part ({@linkcode LOCAL_PATH_RTT_MS}): on a
 * long path the bottleneck link spaces datagrams out, and a fixed byte budget would cap throughput at
 * budget ÷ round trip.
 *
 * Accounting is per member, so a connection that goes away gives back exactly what it held.
 *
 * @module
 */

import { LOCAL_PATH_RTT_MS } from "./congestion.ts";
import { MSS } from "./constants.ts";

/** Bytes in flight to one peer, all connections together: 24 segments, below the socket's ~25. */
export const PATH_FLIGHT_LIMIT_BYTES = 24 * MSS;

/** Called with the current time when the path has room again for a member that waited. */
export type PathResume = (nowMs: number) => void;

/** The shared in-flight budget of one peer node. Not safe for shared use across threads. */
export class PathBudget {
  readonly limitBytes: number;
  #inFlight = 0;
  #held = new Map<object, number>();
  #waiting = new Map<object, PathResume>();

  constructor(limitBytes = PATH_FLIGHT_LIMIT_BYTES) {
    this.limitBytes = limitBytes;
  }

  /** Bytes in flight to the peer, summed over members. */
  get inFlightBytes(): number {
    return this.#inFlight;
  }

  /** Members waiting for room. */
  get waitingCount(): number {
    return this.#waiting.size;
  }

  /** True when a member may send more. */
  hasRoom(): boolean {
    return this.#inFlight < this.limitBytes;
  }

  /**
   * True when the path of a member with this smallest round trip counts as local. The minimum, not
   * the smoothed value: queueing behind the budget itself inflates the smoothed one past the mark.
   */
  static appliesTo(minRttMs: number | undefined): boolean {
    return minRttMs === undefined || minRttMs < LOCAL_PATH_RTT_MS;
  }

  /** `member` put `bytes` more in flight. */
  add(member: object, bytes: number): void {
    this.#held.set(member, (this.#held.get(member) ?? 0) + bytes);
    this.#inFlight += bytes;
  }

  /** `member` got `bytes` acknowledged; members that waited are resumed in turn while room lasts. */
  release(member: object, bytes: number, nowMs: number): void {
    const held = this.#held.get(member) ?? 0;
    const freed = Math.min(held, bytes);
    if (held - freed > 0) this.#held.set(member, held - freed);
    else this.#held.delete(member);
    this.#inFlight -= freed;
    this.#resumeWaiting(nowMs);
  }

  /** Asks for `resume` once the path has room; one registration per member, kept in FIFO order. */
  wait(member: object, resume: PathResume): void {
    if (!this.#waiting.has(member)) this.#waiting.set(member, resume);
  }

  /** Gives back everything `member` held and forgets it (its connection ended or left the path). */
  leave(member: object, nowMs: number): void {
    this.#waiting.delete(member);
    const held = this.#held.get(member);
    if (held === undefined) return;
    this.#held.delete(member);
    this.#inFlight -= held;
    this.#resumeWaiting(nowMs);
  }

  #resumeWaiting(nowMs: number): void {
    // Each resumed member either fills the path or leaves the queue, so the pass is bounded by the
    // members waiting when it began.
    for (let turns = this.#waiting.size; turns > 0 && this.hasRoom(); turns--) {
      const next = this.#waiting.entries().next();
      if (next.done === true) return;
      const [member, resume] = next.value;
      this.#waiting.delete(member);
      resume(nowMs);
    }
  }
}
