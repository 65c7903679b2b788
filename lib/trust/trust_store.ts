/**
 * The local trust list (control.md §7.1, §7.4): per peer at most one trusted or pending record, plus the
 * in-memory "outgoing" flag (we asked that peer; never persisted). Persisted to `trust.json` (§7.7) with an
 * atomic replace after every change, so a crash leaves the old or the new file, never half of one.
 *
 * Mutations are synchronous on memory; {@linkcode TrustStore.save} writes the state as it is when the write
 * starts, one write at a time, coalescing saves requested while a write is queued.
 *
 * A corrupted file is never lost: it is copied to `trust.json.corrupt-<ms>` before the error is reported,
 * so even a daemon that then starts empty (and later overwrites `trust.json`) leaves the original behind.
 *
 * @module
 */

import { errorText, PilotError } from "../errors.ts";
import { writeFileAtomic } from "../fs/atomic_file.ts";
import { NULL_LOGGER } from "../log.ts";
import type { Logger } from "../log.ts";
import { MAX_TRUST_FILE_BYTES } from "./constants.ts";
import { decodeTrustFile, encodeTrustFile } from "./trust_file.ts";
import type { PendingRequest, TrustedPeer, TrustFileOptions } from "./trust_file.ts";

/**
 * Mode of `trust.json`, as cli.md's file table gives it. The reference leaves it to the umask (usually 0644);
 * we do not copy that: the file lists who we trust and their keys.
 */
export const TRUST_FILE_MODE = 0o600;
/** Mode of a directory we create to hold it (control.md §7.7). */
export const TRUST_DIR_MODE = 0o700;

/** Options of {@linkcode TrustStore.open}. */
export interface TrustStoreOptions extends TrustFileOptions {
  logger?: Logger;
  /**
   * What a corrupted file leads to once its copy is kept: `"error"` (default) throws `store_trust_corrupt`
   * so the caller decides; `"start_empty"` logs a warning and starts with no records, as the reference does.
   */
  onCorrupt?: "error" | "start_empty";
}

/** What {@linkcode TrustStore.remove} found and deleted. */
export interface RemovedRecords {
  trusted: boolean;
  pending: boolean;
  outgoing: boolean;
}

/** Trusted and pending peers of one daemon, optionally backed by a file. */
export class TrustStore {
  /** The file, or undefined for a store that lives in memory only (no identity path, §7.7). */
  readonly path: string | undefined;
  readonly #options: TrustFileOptions;
  readonly #trusted = new Map<number, TrustedPeer>();
  readonly #pending = new Map<number, PendingRequest>();
  readonly #outgoing = new Set<number>();
  #queued: Promise<void> | undefined;
  #last: Promise<void> = Promise.resolve();
  #dirReady = false;

  private constructor(path: string | undefined, options: TrustFileOptions) {
    this.path = path;
    this.#options = options;
  }

  /** A store without a file. */
  static inMemory(): TrustStore {
    return new TrustStore(undefined, {});
  }

  /**
   * Loads `path` (a missing file is an empty store).
   *
   * @throws {PilotError} `store_trust_corrupt` when the file is not a valid trust file (the hint names the
   *   kept copy) unless `onCorrupt` is `"start_empty"`; `store_trust_read` when it cannot be read at all.
   *
   * @example
   * ```ts
   * import { TrustStore } from "./trust_store.ts";
   * const dir = await Deno.makeTempDir();
   * const store = await TrustStore.open(`${dir}/trust.json`);
   * store.putTrusted({ nodeId: 2, publicKey: "", approvedAt: 1795545146, mutual: false, network: 0 });
   * await store.save();
   * const again = await TrustStore.open(`${dir}/trust.json`);
   * if (!again.isTrusted(2)) throw new Error("reloaded");
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  static async open(path: string, options: TrustStoreOptions = {}): Promise<TrustStore> {
    const store = new TrustStore(path, options);
    const text = await readBounded(path);
    if (text === undefined) return store;
    let snapshot;
    try {
      if (!text.ok) throw text.error;
      snapshot = decodeTrustFile(text.value);
    } catch (cause) {
      const copy = await preserveCorrupt(path);
      const detail = cause instanceof Error ? cause.message : String(cause);
      const error = new PilotError("store_trust_corrupt", `trust file ${path} is corrupted: ${detail}`, {
        hint: copy === undefined
          ? `fix or remove ${path}; it could not be copied aside`
          : `the original was kept as ${copy}; fix it or remove ${path} to start with no trusted peers`,
        cause,
      });
      if (options.onCorrupt !== "start_empty") throw error;
      (options.logger ?? NULL_LOGGER).warn("trust file corrupted, starting empty", {
        path,
        kept: copy,
        error: detail,
      });
      return store;
    }
    for (const peer of snapshot.trusted) store.#trusted.set(peer.nodeId, peer);
    for (const request of snapshot.pending) store.#pending.set(request.nodeId, request);
    return store;
  }

  /** True when `nodeId` has a trusted record. */
  isTrusted(nodeId: number): boolean {
    return this.#trusted.has(nodeId);
  }

  /** The trusted record of `nodeId`. */
  trusted(nodeId: number): TrustedPeer | undefined {
    return this.#trusted.get(nodeId);
  }

  /** The pending request of `nodeId`. */
  pending(nodeId: number): PendingRequest | undefined {
    return this.#pending.get(nodeId);
  }

  /** All trusted peers, by node id. */
  listTrusted(): TrustedPeer[] {
    return [...this.#trusted.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** All pending requests, by node id. */
  listPending(): PendingRequest[] {
    return [...this.#pending.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Stores (or overwrites) a trusted record; a pending request of that peer is dropped. */
  putTrusted(peer: TrustedPeer): void {
    this.#pending.delete(peer.nodeId);
    this.#trusted.set(peer.nodeId, peer);
  }

  /** Stores a pending request, replacing an older one of that peer. */
  putPending(request: PendingRequest): void {
    if (this.#trusted.has(request.nodeId)) {
      throw new Error(`trust store: node ${request.nodeId} is trusted and cannot also be pending`);
    }
    this.#pending.set(request.nodeId, request);
  }

  /** Drops the pending request of `nodeId`; true if there was one. */
  removePending(nodeId: number): boolean {
    return this.#pending.delete(nodeId);
  }

  /** Drops every record and the outgoing flag of `nodeId`. */
  remove(nodeId: number): RemovedRecords {
    return {
      trusted: this.#trusted.delete(nodeId),
      pending: this.#pending.delete(nodeId),
      outgoing: this.#outgoing.delete(nodeId),
    };
  }

  /** Marks that we sent `nodeId` a request. */
  setOutgoing(nodeId: number): void {
    this.#outgoing.add(nodeId);
  }

  /** Clears the outgoing flag; true if it was set. */
  clearOutgoing(nodeId: number): boolean {
    return this.#outgoing.delete(nodeId);
  }

  /** True when we asked `nodeId` and have not heard back. */
  hasOutgoing(nodeId: number): boolean {
    return this.#outgoing.has(nodeId);
  }

  /** The file text of the current state (what {@linkcode save} writes). */
  encode(): string {
    return encodeTrustFile({ trusted: this.listTrusted(), pending: this.listPending() }, this.#options);
  }

  /**
   * Writes the state to the file (no-op without one). Resolves once a write that started after this call
   * has finished.
   *
   * @throws {PilotError} `store_write_failed` from the atomic write; the old file is then untouched.
   */
  save(): Promise<void> {
    const path = this.path;
    if (path === undefined) return Promise.resolve();
    if (this.#queued !== undefined) return this.#queued;
    const write = this.#last.catch(() => {}).then(async () => {
      this.#queued = undefined; // from here on, a change needs another write
      const text = this.encode();
      if (!this.#dirReady) {
        await ensureDir(path);
        this.#dirReady = true;
      }
      await writeFileAtomic(path, text, { mode: TRUST_FILE_MODE });
    });
    this.#queued = write;
    this.#last = write;
    return write;
  }
}

type ReadResult = { ok: true; value: string } | { ok: false; error: PilotError };

/** The file as text; undefined when it does not exist; an error result when it cannot be decoded. */
async function readBounded(path: string): Promise<ReadResult | undefined> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      throw new PilotError("store_trust_read", `trust file ${path} is not a regular file`);
    }
    if (info.size > MAX_TRUST_FILE_BYTES) {
      return {
        ok: false,
        error: new PilotError(
          "store_trust_format",
          `trust file is ${info.size} bytes, limit is ${MAX_TRUST_FILE_BYTES}`,
        ),
      };
    }
    bytes = await Deno.readFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return undefined;
    if (cause instanceof PilotError) throw cause;
    throw new PilotError("store_trust_read", `cannot read trust file ${path}: ${errorText(cause)}`, {
      cause,
    });
  }
  try {
    return { ok: true, value: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch (cause) {
    return { ok: false, error: new PilotError("store_trust_format", "trust file is not UTF-8", { cause }) };
  }
}

/** Copies a bad file aside under a name that does not exist yet; undefined if that failed. */
async function preserveCorrupt(path: string): Promise<string | undefined> {
  const base = `${path}.corrupt-${Date.now()}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = attempt === 0 ? base : `${base}.${attempt}`;
    try {
      await Deno.lstat(candidate);
      continue; // taken
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) return undefined;
    }
    try {
      await Deno.copyFile(path, candidate);
      await Deno.chmod(candidate, TRUST_FILE_MODE); // it may hold keys of peers; keep it as private
      return candidate;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function ensureDir(path: string): Promise<void> {
  const cut = path.lastIndexOf("/");
  if (cut <= 0) return;
  const dir = path.slice(0, cut);
  try {
    await Deno.mkdir(dir, { recursive: true, mode: TRUST_DIR_MODE });
  } catch (cause) {
    throw new PilotError("store_write_failed", `cannot create ${dir}: ${errorText(cause)}`, { cause });
  }
}
