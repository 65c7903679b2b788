/**
 * Registry state on Deno KV, the source of truth: several registry processes opening the same KV path (or
 * KV Connect URL) serve one state. This file holds nodes, identity reclaim and id assignment (control.md
 * §3.9), hostnames and reaping; trust pairs, handshake inboxes and beacons are in `store_relations.ts`.
 * Every method resolves only after its commit, so whatever a response acknowledges survives a restart.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { freshNode, type NodeRecord, parseNodeRecord, storedNode } from "./node_record.ts";
import { KEYS, KvTxn, parseStoredId, sha256Hex } from "./store_kv.ts";
import { BeaconStore, InboxStore, TrustStore } from "./store_relations.ts";

/** What `register` asks for, already validated by the handler. */
export interface RegisterInput {
  publicKey: string;
  owner: string;
  realAddr: string;
  /** A valid hostname to claim, or `""`. */
  hostname: string;
}

/** What `register` did. */
export interface RegisterOutcome {
  id: number;
  /** True when the requested hostname now belongs to the node. */
  hostnameApplied: boolean;
  /** How the id was found (§3.9), for the log. */
  via: "key" | "owner" | "new";
}

/** Result of {@linkcode RegistryStore.setHostname}. */
export type SetHostnameOutcome = { ok: true } | { ok: false; heldBy: number } | { ok: false; missing: true };

/** A node together with its `last_seen` (ms since the epoch). */
export interface NodeWithSeen {
  node: NodeRecord;
  lastSeenMs: number;
}

/** The registry's KV store. */
export class RegistryStore implements AsyncDisposable {
  readonly #txn: KvTxn;
  readonly trust: TrustStore;
  readonly inbox: InboxStore;
  readonly beacons: BeaconStore;
  #closed = false;

  private constructor(kv: Deno.Kv) {
    this.#txn = new KvTxn(kv);
    this.trust = new TrustStore(this.#txn);
    this.inbox = new InboxStore(this.#txn);
    this.beacons = new BeaconStore(this.#txn);
  }

  /** Opens (creating if needed) the KV at `path`: a file path, a KV Connect URL, or `":memory:"`. */
  static async open(path: string): Promise<RegistryStore> {
    let kv: Deno.Kv;
    try {
      kv = await Deno.openKv(path);
    } catch (err) {
      throw new PilotError("store_open", `registry store: cannot open ${path}: ${String(err)}`, {
        cause: err,
      });
    }
    const store = new RegistryStore(kv);
    await store.#ensureBackbone(Date.now());
    return store;
  }

  /** The raw KV handle (snapshot import writes through it). */
  get kv(): Deno.Kv {
    return this.#txn.kv;
  }

  /** The transaction runner shared by every part of the store. */
  get txn(): KvTxn {
    return this.#txn;
  }

  /** The backbone network record (id 0) exists in every store (§3.6). */
  async #ensureBackbone(nowMs: number): Promise<void> {
    await this.#txn.run(async (kv) => {
      const entry = await kv.get(KEYS.network(0));
      if (entry.value !== null) return { result: undefined };
      const op = kv.atomic().check(entry).set(KEYS.network(0), {
        id: 0,
        name: "backbone",
        joinRule: "open",
        createdMs: nowMs,
      });
      return { op, result: undefined };
    });
  }

  /** When the backbone was created (ms), for the snapshot-shaped views. */
  async backboneCreatedMs(): Promise<number> {
    const entry = await this.kv.get(KEYS.network(0));
    const value = entry.value;
    if (
      typeof value === "object" && value !== null && "createdMs" in value &&
      typeof value.createdMs === "number"
    ) {
      return value.createdMs;
    }
    return Date.now();
  }

  /** The node with `id`, or `undefined`. */
  async getNode(id: number): Promise<NodeRecord | undefined> {
    if (id === 0) return undefined;
    const entry = await this.kv.get(KEYS.node(id));
    return entry.value === null ? undefined : parseNodeRecord(entry.value);
  }

  /** The id the public-key index holds for `publicKey` (it survives deregistration). */
  async idOfKey(publicKey: string): Promise<number | undefined> {
    const entry = await this.kv.get(KEYS.key(publicKey));
    return entry.value === null ? undefined : parseStoredId(entry.value, "key index entry");
  }

  /** The node holding `hostname`, or `undefined`. */
  async idOfHostname(hostname: string): Promise<number | undefined> {
    const entry = await this.kv.get(KEYS.hostname(hostname));
    return entry.value === null ? undefined : parseStoredId(entry.value, "hostname index entry");
  }

  /** Identity resolution and id assignment of §3.9, plus the optional hostname claim of §3.7.1. */
  async register(input: RegisterInput, nowMs: number): Promise<RegisterOutcome> {
    const ownerHash = input.owner === "" ? "" : await sha256Hex(input.owner);
    return await this.#txn.run(async (kv) => {
      const keyEntry = await kv.get(KEYS.key(input.publicKey));
      const ownerEntry = ownerHash === "" ? null : await kv.get(KEYS.owner(ownerHash));
      const op = kv.atomic().check(keyEntry);
      if (ownerEntry !== null) op.check(ownerEntry);
      let id: number;
      let via: RegisterOutcome["via"];
      let record: NodeRecord;
      let ownerIndexed = false;
      if (keyEntry.value !== null) {
        id = parseStoredId(keyEntry.value, "key index entry");
        via = "key";
        const nodeEntry = await kv.get(KEYS.node(id));
        op.check(nodeEntry);
        if (nodeEntry.value !== null) {
          const alive = parseNodeRecord(nodeEntry.value);
          const takeOwner = alive.owner === "" && input.owner !== "";
          record = { ...alive, realAddr: input.realAddr, owner: takeOwner ? input.owner : alive.owner };
          ownerIndexed = takeOwner;
        } else {
          record = freshNode(id, input.publicKey, input.owner, input.realAddr);
          ownerIndexed = input.owner !== "";
        }
      } else if (ownerEntry !== null && ownerEntry.value !== null) {
        id = parseStoredId(ownerEntry.value, "owner index entry");
        via = "owner";
        const nodeEntry = await kv.get(KEYS.node(id));
        op.check(nodeEntry);
        if (nodeEntry.value !== null) {
          // The new key takes over the id; the old key leaves the index (§3.9 step 2).
          const alive = parseNodeRecord(nodeEntry.value);
          const oldKey = await kv.get(KEYS.key(alive.publicKey));
          op.check(oldKey);
          if (oldKey.value === id) op.delete(KEYS.key(alive.publicKey));
          record = { ...alive, publicKey: input.publicKey, realAddr: input.realAddr };
        } else {
          record = freshNode(id, input.publicKey, input.owner, input.realAddr);
        }
      } else {
        const next = await kv.get(KEYS.nextNode);
        op.check(next);
        id = next.value === null ? 1 : parseStoredId(next.value, "next node id");
        if (id === 0 || id > 0xFFFF_FFFF - 1) {
          throw new PilotError("registry_ids_exhausted", `node id space exhausted (next id ${id})`);
        }
        via = "new";
        op.set(KEYS.nextNode, id + 1);
        record = freshNode(id, input.publicKey, input.owner, input.realAddr);
        ownerIndexed = input.owner !== "";
      }
      let hostnameApplied = false;
      if (input.hostname !== "") {
        const held = await kv.get(KEYS.hostname(input.hostname));
        op.check(held);
        if (held.value === null || held.value === id) {
          if (record.hostname !== "" && record.hostname !== input.hostname) {
            await releaseHostname(kv, op, record.hostname, id);
          }
          op.set(KEYS.hostname(input.hostname), id);
          record = { ...record, hostname: input.hostname };
          hostnameApplied = true;
        }
      }
      op.set(KEYS.node(id), storedNode(record)).set(KEYS.seen(id), nowMs).set(KEYS.key(input.publicKey), id);
      if (ownerIndexed) op.set(KEYS.owner(ownerHash), id);
      return { op, result: { id, hostnameApplied, via } };
    });
  }

  /** Sets `last_seen`; false when the node does not exist. */
  async touch(id: number, nowMs: number): Promise<boolean> {
    return await this.#txn.run(async (kv) => {
      const nodeEntry = await kv.get(KEYS.node(id));
      if (nodeEntry.value === null) return { result: false };
      return { op: kv.atomic().check(nodeEntry).set(KEYS.seen(id), nowMs), result: true };
    });
  }

  /** `last_seen` of a node in ms, or `undefined`. */
  async lastSeen(id: number): Promise<number | undefined> {
    const entry = await this.kv.get(KEYS.seen(id));
    return typeof entry.value === "number" ? entry.value : undefined;
  }

  /**
   * Changes a node with `change` (which returns the new record, or throws to refuse) and commits it,
   * optionally also setting `last_seen`. Returns the new record, or `undefined` when the node is gone.
   * The hostname is not changed here (see {@linkcode setHostname}).
   */
  async updateNode(
    id: number,
    change: (node: NodeRecord) => NodeRecord,
    touchMs?: number,
  ): Promise<NodeRecord | undefined> {
    return await this.#txn.run(async (kv) => {
      const entry = await kv.get(KEYS.node(id));
      if (id === 0 || entry.value === null) return { result: undefined };
      const current = parseNodeRecord(entry.value);
      const next = { ...change(current), id, hostname: current.hostname, publicKey: current.publicKey };
      const op = kv.atomic().check(entry).set(KEYS.node(id), storedNode(next));
      if (touchMs !== undefined) op.set(KEYS.seen(id), touchMs);
      return { op, result: next };
    });
  }

  /** Claims `hostname` for the node (releasing its old one); `""` clears. Unique across live nodes. */
  async setHostname(id: number, hostname: string): Promise<SetHostnameOutcome> {
    return await this.#txn.run<SetHostnameOutcome>(async (kv) => {
      const entry = await kv.get(KEYS.node(id));
      if (id === 0 || entry.value === null) return { result: { ok: false, missing: true } };
      const current = parseNodeRecord(entry.value);
      const op = kv.atomic().check(entry);
      if (hostname !== "") {
        const held = await kv.get(KEYS.hostname(hostname));
        if (held.value !== null && held.value !== id) {
          return { result: { ok: false, heldBy: parseStoredId(held.value, "hostname index entry") } };
        }
        op.check(held).set(KEYS.hostname(hostname), id);
      }
      if (current.hostname !== "" && current.hostname !== hostname) {
        await releaseHostname(kv, op, current.hostname, id);
      }
      op.set(KEYS.node(id), storedNode({ ...current, hostname }));
      return { op, result: { ok: true } };
    });
  }

  /** Replaces a node's key (§3.7.11): the key index moves with it. */
  async rotateKey(id: number, newKey: string, nowMs: number): Promise<NodeRecord | undefined> {
    return await this.#txn.run(async (kv) => {
      const entry = await kv.get(KEYS.node(id));
      if (id === 0 || entry.value === null) return { result: undefined };
      const current = parseNodeRecord(entry.value);
      const oldKey = await kv.get(KEYS.key(current.publicKey));
      const taken = await kv.get(KEYS.key(newKey));
      if (taken.value !== null && taken.value !== id) {
        throw new PilotError(
          "registry_key_in_use",
          `new public key already belongs to node ${String(taken.value)}`,
        );
      }
      const next = { ...current, publicKey: newKey };
      const op = kv.atomic().check(entry, oldKey, taken);
      if (oldKey.value === id) op.delete(KEYS.key(current.publicKey));
      op.set(KEYS.key(newKey), id).set(KEYS.node(id), storedNode(next)).set(KEYS.seen(id), nowMs);
      return { op, result: next };
    });
  }

  /**
   * Removes a node as deregistration and reaping do (§3.7.3, §3.11): the record, its `last_seen` and its
   * hostname go; key and owner indexes, trust pairs and inboxes stay. With `staleBeforeMs`, only a node
   * whose `last_seen` is still older than that is removed (a heartbeat that raced the reaper wins).
   */
  async removeNode(id: number, staleBeforeMs?: number): Promise<boolean> {
    return await this.#txn.run(async (kv) => {
      const [entry, seen] = await kv.getMany([KEYS.node(id), KEYS.seen(id)]);
      if (entry.value === null) {
        if (seen.value !== null && staleBeforeMs !== undefined) {
          return { op: kv.atomic().check(seen).delete(KEYS.seen(id)), result: false };
        }
        return { result: false };
      }
      if (staleBeforeMs !== undefined && typeof seen.value === "number" && seen.value >= staleBeforeMs) {
        return { result: false };
      }
      const current = parseNodeRecord(entry.value);
      const op = kv.atomic().check(entry, seen).delete(KEYS.node(id)).delete(KEYS.seen(id));
      if (current.hostname !== "") await releaseHostname(kv, op, current.hostname, id);
      return { op, result: true };
    });
  }

  /** Every live node with its `last_seen`, in id order. */
  async listNodes(): Promise<NodeWithSeen[]> {
    const seen = new Map<number, number>();
    for await (const entry of this.kv.list({ prefix: KEYS.seenAll })) {
      const id = entry.key[2];
      if (typeof id === "number" && typeof entry.value === "number") seen.set(id, entry.value);
    }
    const out: NodeWithSeen[] = [];
    for await (const entry of this.kv.list({ prefix: KEYS.nodes })) {
      const node = parseNodeRecord(entry.value);
      out.push({ node, lastSeenMs: seen.get(node.id) ?? 0 });
    }
    return out;
  }

  /** Ids whose `last_seen` is older than `staleBeforeMs` (candidates for the reaper). */
  async staleNodeIds(staleBeforeMs: number): Promise<number[]> {
    const out: number[] = [];
    for await (const entry of this.kv.list({ prefix: KEYS.seenAll })) {
      const id = entry.key[2];
      if (typeof id === "number" && (typeof entry.value !== "number" || entry.value < staleBeforeMs)) {
        out.push(id);
      }
    }
    return out;
  }

  /** Closes the KV handle (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.kv.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/** Deletes `hostname`'s index entry if it still points at `id` (checked, so a re-claim is not undone). */
async function releaseHostname(
  kv: Deno.Kv,
  op: Deno.AtomicOperation,
  hostname: string,
  id: number,
): Promise<void> {
  const held = await kv.get(KEYS.hostname(hostname));
  op.check(held);
  if (held.value === id) op.delete(KEYS.hostname(hostname));
}
