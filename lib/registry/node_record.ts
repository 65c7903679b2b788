/**
 * The node record of control.md §3.6 as we keep it in KV. `last_seen` lives under its own key (heartbeats
 * rewrite only that), and `networks` is always `[0]` in this build, so neither is stored here.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { isRecord } from "./messages.ts";

/** One registered node. */
export interface NodeRecord {
  readonly id: number;
  /** Recovery identifier (§3.9); never shown to others. */
  readonly owner: string;
  /** Base64 Ed25519 public key, compared verbatim. */
  readonly publicKey: string;
  /** TCP source IP of the registration plus the port of its `listen_addr`. */
  readonly realAddr: string;
  readonly public: boolean;
  readonly hostname: string;
  readonly tags: readonly string[];
  readonly poloScore: number;
  readonly taskExec: boolean;
}

/** A record with every attribute at its default (§3.9: what a recreated node starts with). */
export function freshNode(id: number, publicKey: string, owner: string, realAddr: string): NodeRecord {
  return {
    id,
    owner,
    publicKey,
    realAddr,
    public: false,
    hostname: "",
    tags: [],
    poloScore: 0,
    taskExec: false,
  };
}

/** Checks a value read back from KV; a damaged entry is a `store_corrupt` error naming the field. */
export function parseNodeRecord(value: unknown): NodeRecord {
  if (!isRecord(value)) throw new PilotError("store_corrupt", "registry store: node entry is not an object");
  const str = (name: string): string => {
    const v = value[name];
    if (typeof v !== "string") {
      throw new PilotError("store_corrupt", `registry store: node ${name} is not a string`);
    }
    return v;
  };
  const bool = (name: string): boolean => {
    const v = value[name];
    if (typeof v !== "boolean") {
      throw new PilotError("store_corrupt", `registry store: node ${name} is not a bool`);
    }
    return v;
  };
  const id = value.id;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > 0xFFFF_FFFF) {
    throw new PilotError("store_corrupt", "registry store: node id is not a u32");
  }
  const poloScore = value.poloScore;
  if (typeof poloScore !== "number" || !Number.isSafeInteger(poloScore)) {
    throw new PilotError("store_corrupt", "registry store: node poloScore is not an integer");
  }
  const tags = value.tags;
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string")) {
    throw new PilotError("store_corrupt", "registry store: node tags is not a string list");
  }
  return {
    id,
    owner: str("owner"),
    publicKey: str("publicKey"),
    realAddr: str("realAddr"),
    public: bool("public"),
    hostname: str("hostname"),
    tags: tags.filter((t): t is string => typeof t === "string"),
    poloScore,
    taskExec: bool("taskExec"),
  };
}

/** The record as a structured-clone value for KV (a copy, so later edits of `tags` cannot leak in). */
export function storedNode(node: NodeRecord): Record<string, unknown> {
  return { ...node, tags: [...node.tags] };
}
