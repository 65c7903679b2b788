/**
 * The registry state that relates nodes to each other: trust pairs (§3.6), the two handshake inboxes of
 * each node (§3.7.13–15) and the beacon list (§3.7.18). Like the node part, every change is committed
 * before the method resolves.
 *
 * @module
 */

import { HANDSHAKE_INBOX_MAX, POLL_RESPONSES_MAX } from "./constants.ts";
import { isRecord } from "./messages.ts";
import { KEYS, type KvTxn } from "./store_kv.ts";

/** Unordered trust pairs, stored as `[min, max]` keys. */
export class TrustStore {
  readonly #txn: KvTxn;
  constructor(txn: KvTxn) {
    this.#txn = txn;
  }

  /** True when the pair {a, b} exists. */
  async has(a: number, b: number): Promise<boolean> {
    return (await this.#txn.kv.get(KEYS.trust(a, b))).value !== null;
  }

  /** Creates the pair (idempotent). */
  async add(a: number, b: number): Promise<void> {
    await this.#txn.run((kv) =>
      Promise.resolve({ op: kv.atomic().set(KEYS.trust(a, b), true), result: undefined })
    );
  }

  /** Deletes the pair; false when there was none. */
  async remove(a: number, b: number): Promise<boolean> {
    return await this.#txn.run(async (kv) => {
      const entry = await kv.get(KEYS.trust(a, b));
      if (entry.value === null) return { result: false };
      return { op: kv.atomic().check(entry).delete(KEYS.trust(a, b)), result: true };
    });
  }

  /** Every pair as `[min, max]`. */
  async list(): Promise<Array<[number, number]>> {
    const out: Array<[number, number]> = [];
    for await (const entry of this.#txn.kv.list({ prefix: KEYS.trustAll })) {
      const [a, b] = [entry.key[2], entry.key[3]];
      if (typeof a === "number" && typeof b === "number") out.push([a, b]);
    }
    return out;
  }
}

/** A relayed trust request waiting for its target. */
export interface HandshakeRequest {
  fromNodeId: number;
  justification: string;
  timeMs: number;
}

/** A relayed answer waiting for the original requester. */
export interface HandshakeResponse {
  fromNodeId: number;
  accept: boolean;
  timeMs: number;
}

/** Outcome of {@linkcode InboxStore.pushRequest}. */
export type PushRequestOutcome = "delivered" | "full" | "pending";

/** Per-node request and response inboxes. */
export class InboxStore {
  readonly #txn: KvTxn;
  constructor(txn: KvTxn) {
    this.#txn = txn;
  }

  /** Queues a request for `to` unless its inbox is full or `from` already has one pending. */
  async pushRequest(
    to: number,
    from: number,
    justification: string,
    nowMs: number,
  ): Promise<PushRequestOutcome> {
    return await this.#txn.run<PushRequestOutcome>(async (kv) => {
      const version = await kv.get(KEYS.inboxVersion(to));
      if ((await kv.get(KEYS.request(to, from))).value !== null) return { result: "pending" };
      let count = 0;
      for await (const _ of kv.list({ prefix: KEYS.requestsOf(to) }, { limit: HANDSHAKE_INBOX_MAX })) count++;
      if (count >= HANDSHAKE_INBOX_MAX) return { result: "full" };
      const op = kv.atomic().check(version).set(KEYS.inboxVersion(to), crypto.randomUUID())
        .set(KEYS.request(to, from), { justification, timeMs: nowMs });
      return { op, result: "delivered" };
    });
  }

  /** Appends an answer to `to`'s response inbox (no size limit, duplicates kept, as in the reference). */
  async pushResponse(to: number, from: number, accept: boolean, nowMs: number): Promise<void> {
    await this.#txn.run(async (kv) => {
      const version = await kv.get(KEYS.inboxVersion(to));
      const op = kv.atomic().check(version).set(KEYS.inboxVersion(to), crypto.randomUUID())
        .set(KEYS.response(to, nowMs, crypto.randomUUID()), { fromNodeId: from, accept, timeMs: nowMs });
      return { op, result: undefined };
    });
  }

  /** Returns and clears both inboxes of `id` (requests oldest first; responses in arrival order). */
  async drain(id: number): Promise<{ requests: HandshakeRequest[]; responses: HandshakeResponse[] }> {
    return await this.#txn.run(async (kv) => {
      const version = await kv.get(KEYS.inboxVersion(id));
      const op = kv.atomic().check(version).set(KEYS.inboxVersion(id), crypto.randomUUID());
      const requests: HandshakeRequest[] = [];
      for await (
        const entry of kv.list({ prefix: KEYS.requestsOf(id) }, { limit: HANDSHAKE_INBOX_MAX * 2 })
      ) {
        op.delete(entry.key);
        const from = entry.key[3];
        const v = entry.value;
        if (typeof from !== "number" || !isRecord(v)) continue; // damaged entries are dropped with the rest
        const justification = typeof v.justification === "string" ? v.justification : "";
        const timeMs = typeof v.timeMs === "number" ? v.timeMs : 0;
        requests.push({ fromNodeId: from, justification, timeMs });
      }
      requests.sort((a, b) => a.timeMs - b.timeMs || a.fromNodeId - b.fromNodeId);
      const responses: HandshakeResponse[] = [];
      for await (const entry of kv.list({ prefix: KEYS.responsesOf(id) }, { limit: POLL_RESPONSES_MAX })) {
        op.delete(entry.key);
        const v = entry.value;
        if (!isRecord(v) || typeof v.fromNodeId !== "number") continue;
        responses.push({
          fromNodeId: v.fromNodeId,
          accept: v.accept === true,
          timeMs: typeof v.timeMs === "number" ? v.timeMs : 0,
        });
      }
      return { op, result: { requests, responses } };
    });
  }
}

/** A beacon known to the registry. */
export interface BeaconEntry {
  id: number;
  addr: string;
  lastSeenMs: number;
}

/** Beacons that announced themselves (§3.7.18); entries also expire from KV by themselves. */
export class BeaconStore {
  readonly #txn: KvTxn;
  constructor(txn: KvTxn) {
    this.#txn = txn;
  }

  /** Stores or refreshes a beacon. */
  async register(id: number, addr: string, nowMs: number, ttlMs: number): Promise<void> {
    await this.#txn.run((kv) =>
      Promise.resolve({
        op: kv.atomic().set(KEYS.beacon(id), { addr, lastSeenMs: nowMs }, { expireIn: ttlMs * 2 }),
        result: undefined,
      })
    );
  }

  /** Beacons seen at or after `freshSinceMs`. */
  async list(freshSinceMs: number): Promise<BeaconEntry[]> {
    const out: BeaconEntry[] = [];
    for await (const entry of this.#txn.kv.list({ prefix: KEYS.beacons })) {
      const id = entry.key[2];
      const v = entry.value;
      if (
        typeof id !== "number" || !isRecord(v) || typeof v.addr !== "string" ||
        typeof v.lastSeenMs !== "number"
      ) {
        continue;
      }
      if (v.lastSeenMs >= freshSinceMs) out.push({ id, addr: v.addr, lastSeenMs: v.lastSeenMs });
    }
    return out;
  }

  /** Deletes beacons older than `staleBeforeMs`; returns how many went. */
  async prune(staleBeforeMs: number): Promise<number> {
    let removed = 0;
    for await (const entry of this.#txn.kv.list({ prefix: KEYS.beacons })) {
      const v = entry.value;
      if (isRecord(v) && typeof v.lastSeenMs === "number" && v.lastSeenMs >= staleBeforeMs) continue;
      const gone = await this.#txn.run(async (kv) => {
        const current = await kv.get(entry.key);
        if (current.versionstamp !== entry.versionstamp) return { result: false };
        return { op: kv.atomic().check(current).delete(entry.key), result: true };
      });
      if (gone) removed++;
    }
    return removed;
  }
}
