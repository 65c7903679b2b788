/**
 * The Deno KV layout of the registry and the one way we change it: an optimistic transaction (read,
 * check versionstamps, commit) retried a bounded number of times. Within one process transactions also
 * queue behind a lock, so 200 racing registrations cost 200 commits rather than a storm of conflicts;
 * across processes sharing the KV, the versionstamp checks alone keep ids and hostnames unique.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { STORE_COMMIT_ATTEMPTS } from "./constants.ts";

const ROOT = "registry";

/** Every key the registry writes, in one place so the layout can be read at a glance. */
export const KEYS = {
  nextNode: [ROOT, "meta", "next_node"],
  nextNet: [ROOT, "meta", "next_net"],
  networks: [ROOT, "network"],
  network: (id: number): Deno.KvKey => [ROOT, "network", id],
  nodes: [ROOT, "node"],
  node: (id: number): Deno.KvKey => [ROOT, "node", id],
  seenAll: [ROOT, "seen"],
  seen: (id: number): Deno.KvKey => [ROOT, "seen", id],
  keyIndex: [ROOT, "key"],
  key: (publicKey: string): Deno.KvKey => [ROOT, "key", publicKey],
  /** Owners are free text (up to 4 KiB); the index keys on their SHA-256 so keys stay under KV's 2 KiB. */
  owner: (ownerHash: string): Deno.KvKey => [ROOT, "owner", ownerHash],
  hostname: (name: string): Deno.KvKey => [ROOT, "hostname", name],
  trustAll: [ROOT, "trust"],
  trust: (a: number, b: number): Deno.KvKey => [ROOT, "trust", Math.min(a, b), Math.max(a, b)],
  requestsOf: (to: number): Deno.KvKey => [ROOT, "hs_req", to],
  request: (to: number, from: number): Deno.KvKey => [ROOT, "hs_req", to, from],
  responsesOf: (to: number): Deno.KvKey => [ROOT, "hs_resp", to],
  response: (to: number, timeMs: number, unique: string): Deno.KvKey => [ROOT, "hs_resp", to, timeMs, unique],
  /** Bumped by every change of either handshake inbox of a node, so pushes and drains can be checked. */
  inboxVersion: (id: number): Deno.KvKey => [ROOT, "inbox_ver", id],
  beacons: [ROOT, "beacon"],
  beacon: (id: number): Deno.KvKey => [ROOT, "beacon", id],
} as const;

/** What one transaction attempt decided: commit `op` and return `result`, or return without writing. */
export type TxnStep<T> = { op: Deno.AtomicOperation; result: T } | { result: T };

/** A KV handle plus the process-local lock that orders our own transactions. */
export class KvTxn {
  readonly kv: Deno.Kv;
  #tail: Promise<void> = Promise.resolve();

  constructor(kv: Deno.Kv) {
    this.kv = kv;
  }

  /**
   * Runs `attempt` until its atomic operation commits (or it decides not to write). `attempt` must read
   * what it depends on and `check` those entries, since it may run again after a conflicting commit or
   * while another process holds the file's write lock.
   */
  async run<T>(attempt: (kv: Deno.Kv) => Promise<TxnStep<T>>): Promise<T> {
    const previous = this.#tail;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#tail = promise;
    await previous;
    try {
      for (let i = 0; i < STORE_COMMIT_ATTEMPTS; i++) {
        if (i > 0) await jitter(i);
        let step: TxnStep<T>;
        try {
          step = await attempt(this.kv);
          if (!("op" in step)) return step.result;
          if ((await step.op.commit()).ok) return step.result;
        } catch (err) {
          // Another process holding the SQLite write lock: back off and run the attempt again.
          if (!isBusy(err)) throw err;
        }
      }
      throw new PilotError(
        "store_conflict",
        `registry store: gave up after ${STORE_COMMIT_ATTEMPTS} conflicting commits`,
        {
          hint: "another registry process keeps changing the same entries; retry",
        },
      );
    } finally {
      resolve();
    }
  }
}

/** SQLite's "database is locked", seen when several processes write one KV file at once. */
function isBusy(err: unknown): boolean {
  return err instanceof Error && /database is locked|SQLITE_BUSY/i.test(err.message);
}

/** A short random pause that grows with the attempt number, so racing processes spread out. */
function jitter(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 50);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a non-negative integer stored by us; anything else means the store is damaged. */
export function parseStoredId(value: unknown, what: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xFFFF_FFFF) {
    return value;
  }
  throw new PilotError("store_corrupt", `registry store: ${what} is not a node id`);
}

/** Hex SHA-256 of `text`, for index keys of unbounded strings. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}
