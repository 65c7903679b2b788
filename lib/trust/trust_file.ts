/**
 * `trust.json`, the local trust list on disk (control.md §7.7), in the reference's exact layout: two-space
 * indentation, no trailing newline, `trusted` written as `null` when empty, `pending` left out when empty,
 * times as RFC 3339 seconds with the local zone offset.
 *
 * Pure codec: no I/O. Times are Unix seconds in memory, as the IPC replies carry them (§9.4).
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { escapeGoJson } from "../json/go_json.ts";

/** A peer we trust (§7.4). */
export interface TrustedPeer {
  readonly nodeId: number;
  /** Base64 Ed25519 key, `""` when the trust came through the registry relay without a key. */
  readonly publicKey: string;
  /** Unix seconds. */
  readonly approvedAt: number;
  /** True when the peer approved us too (it accepted our request, or we both asked). */
  readonly mutual: boolean;
  /** Shared non-backbone network that auto-approved the peer; 0 otherwise. */
  readonly network: number;
}

/** An incoming request waiting for approve or reject (§7.4). */
export interface PendingRequest {
  readonly nodeId: number;
  /** `""` for requests relayed by the registry. */
  readonly publicKey: string;
  readonly justification: string;
  /** Unix seconds. */
  readonly receivedAt: number;
}

/** Everything `trust.json` holds. */
export interface TrustSnapshot {
  readonly trusted: readonly TrustedPeer[];
  readonly pending: readonly PendingRequest[];
}

/** Options of {@linkcode encodeTrustFile}. */
export interface TrustFileOptions {
  /**
   * Offset from UTC in minutes for an instant (Unix seconds); defaults to the process's local zone, which is
   * what the reference writes. Tests pass a fixed one.
   */
  utcOffsetMinutes?: (unixSeconds: number) => number;
}

const localOffset = (unixSeconds: number): number => -new Date(unixSeconds * 1000).getTimezoneOffset();

/**
 * The file text for `snapshot`, entries sorted by node id (the reference's order is arbitrary).
 *
 * @example
 * ```ts
 * import { encodeTrustFile } from "./trust_file.ts";
 * const text = encodeTrustFile({ trusted: [], pending: [] }, { utcOffsetMinutes: () => 0 });
 * if (text !== '{\n  "trusted": null\n}') throw new Error(text);
 * ```
 */
export function encodeTrustFile(snapshot: TrustSnapshot, options: TrustFileOptions = {}): string {
  const offset = options.utcOffsetMinutes ?? localOffset;
  const byId = <T extends { nodeId: number }>(list: readonly T[]) =>
    [...list].sort((a, b) => a.nodeId - b.nodeId);
  // Objects built member by member: insertion order is the reference's declaration order.
  const trusted = snapshot.trusted.length === 0 ? null : byId(snapshot.trusted).map((peer) => {
    const entry: Record<string, unknown> = {
      node_id: peer.nodeId,
      public_key: peer.publicKey,
      approved_at: formatRfc3339(peer.approvedAt, offset(peer.approvedAt)),
      mutual: peer.mutual,
    };
    if (peer.network !== 0) entry.network = peer.network;
    return entry;
  });
  const file: Record<string, unknown> = { trusted };
  if (snapshot.pending.length > 0) {
    file.pending = byId(snapshot.pending).map((request) => {
      const entry: Record<string, unknown> = { node_id: request.nodeId };
      if (request.publicKey !== "") entry.public_key = request.publicKey;
      if (request.justification !== "") entry.justification = request.justification;
      entry.received_at = formatRfc3339(request.receivedAt, offset(request.receivedAt));
      return entry;
    });
  }
  return escapeGoJson(JSON.stringify(file, null, 2));
}

/**
 * Parses file text. Missing or `null` lists are empty, as the reference reads them; anything else that is
 * not the layout above throws `PilotError` `store_trust_format` naming the bad member. A node listed twice
 * keeps its last entry; a node both trusted and pending stays trusted.
 */
export function decodeTrustFile(text: string): TrustSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PilotError("store_trust_format", "trust file is not valid JSON", { cause: err });
  }
  if (!isObject(value)) throw new PilotError("store_trust_format", "trust file is not a JSON object");
  const trusted = new Map<number, TrustedPeer>();
  for (const [i, item] of list(value, "trusted").entries()) {
    const where = `trusted[${i}]`;
    if (!isObject(item)) throw new PilotError("store_trust_format", `${where} is not an object`);
    const nodeId = nodeIdOf(item, where);
    trusted.set(nodeId, {
      nodeId,
      publicKey: optionalString(item, "public_key", where),
      approvedAt: timeOf(item, "approved_at", where),
      mutual: optionalBoolean(item, "mutual", where),
      network: optionalNetwork(item, where),
    });
  }
  const pending = new Map<number, PendingRequest>();
  for (const [i, item] of list(value, "pending").entries()) {
    const where = `pending[${i}]`;
    if (!isObject(item)) throw new PilotError("store_trust_format", `${where} is not an object`);
    const nodeId = nodeIdOf(item, where);
    if (trusted.has(nodeId)) continue;
    pending.set(nodeId, {
      nodeId,
      publicKey: optionalString(item, "public_key", where),
      justification: optionalString(item, "justification", where),
      receivedAt: timeOf(item, "received_at", where),
    });
  }
  return { trusted: [...trusted.values()], pending: [...pending.values()] };
}

/** `unixSeconds` as `YYYY-MM-DDTHH:MM:SS` plus `Z` or `±HH:MM`, as the reference formats times. */
export function formatRfc3339(unixSeconds: number, offsetMinutes: number): string {
  const shifted = new Date((unixSeconds + offsetMinutes * 60) * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const date = `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${
    pad(shifted.getUTCDate())
  }`;
  const time = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${
    pad(shifted.getUTCSeconds())
  }`;
  if (offsetMinutes === 0) return `${date}T${time}Z`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${date}T${time}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time (fractional seconds dropped) to Unix seconds; undefined when invalid. */
export function parseRfc3339(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined; // 31 April and friends
  date.setUTCHours(hour, minute, second, 0);
  let offset = 0;
  const zone = m[7];
  if (zone !== "Z") {
    const hours = Number(zone.slice(1, 3));
    const minutes = Number(zone.slice(4, 6));
    if (hours > 23 || minutes > 59) return undefined;
    offset = (zone[0] === "-" ? -1 : 1) * (hours * 60 + minutes);
  }
  return Math.floor(date.getTime() / 1000) - offset * 60;
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function get(object: object, key: string): unknown {
  return Object.hasOwn(object, key) ? Reflect.get(object, key) : undefined;
}

function list(object: object, key: string): unknown[] {
  const value = get(object, key);
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    throw new PilotError("store_trust_format", `trust file member ${key} is not a list`);
  }
  return value;
}

function nodeIdOf(item: object, where: string): number {
  const value = get(item, "node_id");
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 0xffff_ffff) {
    throw new PilotError("store_trust_format", `${where}.node_id must be a node id (1..4294967295)`);
  }
  return value;
}

function optionalString(item: object, key: string, where: string): string {
  const value = get(item, key);
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    throw new PilotError("store_trust_format", `${where}.${key} must be a string`);
  }
  return value;
}

function optionalBoolean(item: object, key: string, where: string): boolean {
  const value = get(item, key);
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") {
    throw new PilotError("store_trust_format", `${where}.${key} must be a boolean`);
  }
  return value;
}

function optionalNetwork(item: object, where: string): number {
  const value = get(item, "network");
  if (value === undefined || value === null) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new PilotError("store_trust_format", `${where}.network must be a network id (0..65535)`);
  }
  return value;
}

function timeOf(item: object, key: string, where: string): number {
  const value = get(item, key);
  const seconds = typeof value === "string" ? parseRfc3339(value) : undefined;
  if (seconds === undefined) {
    throw new PilotError("store_trust_format", `${where}.${key} must be an RFC 3339 time`);
  }
  return seconds;
}
