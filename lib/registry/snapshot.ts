/**
 * Import of a reference registry snapshot (the `-store` JSON file of control.md §3.12) into our KV store,
 * so a registry can move from the reference to us without losing ids, keys, hostnames or trust. The load
 * rules are the reference's: nodes with an undecodable key are skipped, a missing or invalid `last_seen`
 * becomes "now", inbox keys that are not positive integers are dropped, and the owner and hostname
 * indexes are rebuilt from the nodes. Entries merge over what the store holds; the id counter never
 * goes backwards.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { isRecord } from "./messages.ts";
import { freshNode, type NodeRecord, storedNode } from "./node_record.ts";
import { isPublicKey } from "./handlers_nodes.ts";
import { KEYS, parseStoredId, sha256Hex } from "./store_kv.ts";
import type { RegistryStore } from "./store.ts";

/** What an import wrote. */
export interface SnapshotImport {
  nodes: number;
  skippedNodes: number;
  trustPairs: number;
  requests: number;
  responses: number;
  nextNode: number;
}

const BATCH = 200;

function u32(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xFFFF_FFFF
    ? value
    : undefined;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** RFC 3339 with up to 9 fractional digits (Date.parse takes 3 at most). */
export function parseRfc3339(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const trimmed = value.replace(/(\.\d{3})\d+/, "$1");
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

function positiveIdKeys(value: unknown): Array<[number, unknown]> {
  if (!isRecord(value)) return [];
  const out: Array<[number, unknown]> = [];
  for (const [key, entry] of Object.entries(value)) {
    if (!/^[1-9]\d{0,9}$/.test(key)) continue;
    const id = Number(key);
    if (id <= 0xFFFF_FFFF) out.push([id, entry]);
  }
  return out;
}

/** Reads a snapshot file's text and writes it into `store`. */
export async function importSnapshot(
  store: RegistryStore,
  snapshotText: string,
  nowMs: number,
): Promise<SnapshotImport> {
  let root: unknown;
  try {
    root = JSON.parse(snapshotText);
  } catch (err) {
    throw new PilotError("store_snapshot_invalid", "snapshot is not JSON", { cause: err });
  }
  if (!isRecord(root)) throw new PilotError("store_snapshot_invalid", "snapshot is not a JSON object");
  const writes: Array<[Deno.KvKey, unknown]> = [];
  const result: SnapshotImport = {
    nodes: 0,
    skippedNodes: 0,
    trustPairs: 0,
    requests: 0,
    responses: 0,
    nextNode: 1,
  };
  let maxId = 0;
  for (const [, raw] of positiveIdKeys(root.nodes)) {
    if (!isRecord(raw)) continue;
    const id = u32(raw.id);
    const publicKey = text(raw.public_key);
    if (id === undefined || id === 0 || !isPublicKey(publicKey)) {
      result.skippedNodes++;
      continue;
    }
    const tags = Array.isArray(raw.tags) ? raw.tags.filter((t): t is string => typeof t === "string") : [];
    const node: NodeRecord = {
      ...freshNode(id, publicKey, text(raw.owner), text(raw.real_addr)),
      public: raw.public === true,
      hostname: text(raw.hostname),
      tags,
      poloScore: typeof raw.polo_score === "number" ? Math.trunc(raw.polo_score) : 0,
      taskExec: raw.task_exec === true,
    };
    writes.push([KEYS.node(id), storedNode(node)], [KEYS.seen(id), parseRfc3339(raw.last_seen) ?? nowMs]);
    writes.push([KEYS.key(publicKey), id]);
    if (node.owner !== "") writes.push([KEYS.owner(await sha256Hex(node.owner)), id]);
    if (node.hostname !== "") writes.push([KEYS.hostname(node.hostname), id]);
    maxId = Math.max(maxId, id);
    result.nodes++;
  }
  if (isRecord(root.pub_key_idx)) {
    for (const [key, value] of Object.entries(root.pub_key_idx)) {
      const id = u32(value);
      if (id !== undefined && id > 0 && isPublicKey(key)) writes.push([KEYS.key(key), id]);
    }
  }
  if (Array.isArray(root.trust_pairs)) {
    for (const pair of root.trust_pairs) {
      const match = typeof pair === "string" ? /^(\d+):(\d+)$/.exec(pair) : null;
      const a = u32(Number(match?.[1]));
      const b = u32(Number(match?.[2]));
      if (a === undefined || b === undefined) continue;
      writes.push([KEYS.trust(a, b), true]);
      result.trustPairs++;
    }
  }
  for (const [to, list] of positiveIdKeys(root.handshake_inbox)) {
    for (const entry of Array.isArray(list) ? list : []) {
      const from = isRecord(entry) ? u32(entry.from_node_id) : undefined;
      if (!isRecord(entry) || from === undefined) continue;
      writes.push([KEYS.request(to, from), {
        justification: text(entry.justification),
        timeMs: parseRfc3339(entry.timestamp) ?? nowMs,
      }]);
      result.requests++;
    }
  }
  for (const [to, list] of positiveIdKeys(root.handshake_responses)) {
    for (const entry of Array.isArray(list) ? list : []) {
      const from = isRecord(entry) ? u32(entry.from_node_id) : undefined;
      if (!isRecord(entry) || from === undefined) continue;
      const timeMs = parseRfc3339(entry.timestamp) ?? nowMs;
      writes.push([KEYS.response(to, timeMs, crypto.randomUUID()), {
        fromNodeId: from,
        accept: entry.accept === true,
        timeMs,
      }]);
      result.responses++;
    }
  }
  for (let i = 0; i < writes.length; i += BATCH) {
    const batch = writes.slice(i, i + BATCH);
    await store.txn.run((kv) => {
      const op = kv.atomic();
      for (const [key, value] of batch) op.set(key, value);
      return Promise.resolve({ op, result: undefined });
    });
  }
  const snapshotNext = u32(root.next_node) ?? 1;
  result.nextNode = await store.txn.run(async (kv) => {
    const current = await kv.get(KEYS.nextNode);
    const have = current.value === null ? 1 : parseStoredId(current.value, "next node id");
    const next = Math.max(have, snapshotNext, maxId + 1);
    return { op: kv.atomic().check(current).set(KEYS.nextNode, next), result: next };
  });
  return result;
}
