/**
 * The received folder (`<home>/received/`, services.md §4.4, §4.6): raw file bytes under the
 * reference's `<base>-<stamp><ext>` names, and the listing and `--clear` behind `pilotctl received`
 * (cli.md §15.1).
 *
 * Deviations from the reference, each a bug we do not copy:
 * - Streamed and atomic: data goes to `.incoming.<random>.tmp` in the same folder as it arrives, so a
 *   file of any size never sits in memory; only when complete and fsynced is it linked under its final
 *   name. An aborted transfer removes its temp file; temp files a crash left are removed at service
 *   start (`removeStaleTemps`). Nothing partial ever carries a final name.
 * - Never overwritten: a taken name (same base and extension in the same millisecond) gets `_001`,
 *   `_002`, ... before the extension, as in the inbox.
 *
 * @module
 */

import { errorText, PilotError } from "../../errors.ts";
import { linkUnderFreeName, removeQuietly, syncDir } from "../../fs/atomic_file.ts";
import { FILE_MODE } from "./constants.ts";
import { formatLocalRfc3339, formatNameStamp } from "./_time.ts";
import {
  ensureDir,
  incomingTempPath,
  isTempName,
  NAME_ATTEMPTS,
  readNames,
  removeAll,
  storedName,
  takenName,
} from "./_store_dir.ts";
import type { SkippedEntry } from "./_store_dir.ts";

/** How many received bytes are gathered in memory before one file write. */
const WRITE_BATCH_BYTES = 256 * 1024;

/** Where a received file was stored. */
export interface StoredFile {
  /** File name inside the received folder. */
  name: string;
  /** Full path of the stored file. */
  path: string;
  /** File size in bytes. */
  bytes: number;
}

/** One listed file (cli.md §15.1): `{bytes, modified, name, path}` in the JSON output. */
export interface ReceivedFile {
  /** File name inside the received folder. */
  name: string;
  /** File size in bytes. */
  bytes: number;
  /** Modification time, local RFC 3339. */
  modified: string;
  /** Full path. */
  path: string;
}

/** What `pilotctl received` shows. */
export interface ReceivedListing {
  /** The folder; `undefined` when it does not exist (the JSON output then has no `dir`). */
  dir: string | undefined;
  /** In file-name order. When `dir` is set and this is empty, the reference prints `"files":null`. */
  files: ReceivedFile[];
  /** Number of listed files. */
  total: number;
  /** Entries left out: unfinished transfers and entries whose metadata cannot be read. */
  skipped: SkippedEntry[];
}

/** `<home>/received`. */
export function receivedDir(home: string): string {
  return `${home}/received`;
}

/**
 * The sent name reduced to its last `/`-separated element (trailing slashes ignored; `\` is not a
 * separator) and split at its last dot (§4.4).
 *
 * @example
 * ```ts
 * import { splitReceivedName } from "./received_store.ts";
 * const { base, ext } = splitReceivedName("../../archive.tar.gz");
 * if (base !== "archive.tar" || ext !== ".gz") throw new Error("last element, last dot");
 * ```
 */
export function splitReceivedName(sent: string): { base: string; ext: string } {
  const elements = sent.split("/").filter((element) => element !== "");
  const safe = elements.at(-1) ?? "";
  const dot = safe.lastIndexOf(".");
  return dot === -1 ? { base: safe, ext: "" } : { base: safe.slice(0, dot), ext: safe.slice(dot) };
}

/** The destination name of attempt `attempt` for a file sent as `sent` at `at`. */
export function receivedFileName(sent: string, at: Date, attempt = 0): string {
  const { base, ext } = splitReceivedName(sent);
  return storedName(base, formatNameStamp(at), ext, attempt);
}

/**
 * A file being received: bytes go to a temp file in the received folder; {@linkcode commit} gives it
 * its final name, {@linkcode abort} removes it. Exactly one of the two should end its life.
 */
export class IncomingFile {
  readonly #dir: string;
  readonly #temp: string;
  #file: Deno.FsFile | undefined;
  #bytes = 0;
  // Received bytes not yet handed to the file. Data arrives a stream segment (4 KiB) at a time, and a
  // file write per segment cost the receiving daemon a tenth of its time in write calls.
  #pending: Uint8Array | undefined;
  #pendingBytes = 0;

  private constructor(dir: string, temp: string, file: Deno.FsFile) {
    this.#dir = dir;
    this.#temp = temp;
    this.#file = file;
  }

  /**
   * Opens a new temp file under `<home>/received`.
   *
   * @throws {PilotError} `store_write_failed`.
   */
  static async create(home: string): Promise<IncomingFile> {
    const dir = receivedDir(home);
    await ensureDir(dir);
    const temp = incomingTempPath(dir);
    try {
      const file = await Deno.open(temp, { write: true, createNew: true, mode: FILE_MODE });
      try {
        await Deno.chmod(temp, FILE_MODE); // the open mode was masked by the umask
      } catch (cause) {
        file.close();
        await removeQuietly(temp);
        throw cause;
      }
      return new IncomingFile(dir, temp, file);
    } catch (cause) {
      throw new PilotError("store_write_failed", `cannot create a file in ${dir}: ${errorText(cause)}`, {
        cause,
      });
    }
  }

  /** Bytes taken so far (some may still wait in memory until the next flush or sync). */
  get bytesWritten(): number {
    return this.#bytes;
  }

  /**
   * Appends `bytes`, which the caller may reuse once this settles.
   *
   * @throws {PilotError} `store_write_failed` (perhaps for bytes an earlier call took).
   */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#pendingBytes + bytes.byteLength > WRITE_BATCH_BYTES) await this.#flush();
    if (bytes.byteLength >= WRITE_BATCH_BYTES) {
      await this.#writeOut(bytes);
    } else {
      this.#pending ??= new Uint8Array(WRITE_BATCH_BYTES);
      this.#pending.set(bytes, this.#pendingBytes);
      this.#pendingBytes += bytes.byteLength;
    }
    this.#bytes += bytes.byteLength;
  }

  /** Makes what was written so far durable. @throws {PilotError} `store_write_failed`. */
  async sync(): Promise<void> {
    await this.#flush();
    try {
      await this.#open().sync();
    } catch (cause) {
      throw new PilotError("store_write_failed", `cannot sync ${this.#temp}: ${errorText(cause)}`, { cause });
    }
  }

  /**
   * Syncs the data and links it under a free destination name for `sent`, then removes the temp name.
   * On failure the temp file is removed and nothing appears under a final name.
   *
   * @throws {PilotError} `store_write_failed`, `store_name_exhausted`.
   */
  async commit(sent: string, at: Date): Promise<StoredFile> {
    try {
      await this.sync();
      this.#closeFile();
      const nameAt = (attempt: number) => receivedFileName(sent, at, attempt);
      const taken = await linkUnderFreeName(
        this.#temp,
        (attempt) => `${this.#dir}/${nameAt(attempt)}`,
        NAME_ATTEMPTS,
      );
      const name = takenName(this.#dir, taken, nameAt);
      await removeQuietly(this.#temp);
      await syncDir(this.#dir);
      return { name, path: `${this.#dir}/${name}`, bytes: this.#bytes };
    } catch (err) {
      await this.abort();
      throw err;
    }
  }

  /** Drops the transfer: closes and removes the temp file. Safe to call more than once. */
  async abort(): Promise<void> {
    this.#closeFile();
    await removeQuietly(this.#temp);
  }

  async #flush(): Promise<void> {
    if (this.#pending === undefined || this.#pendingBytes === 0) return;
    const held = this.#pending.subarray(0, this.#pendingBytes);
    this.#pendingBytes = 0;
    await this.#writeOut(held);
  }

  async #writeOut(bytes: Uint8Array): Promise<void> {
    const file = this.#open();
    try {
      for (let offset = 0; offset < bytes.byteLength;) offset += await file.write(bytes.subarray(offset));
    } catch (cause) {
      throw new PilotError("store_write_failed", `cannot write ${this.#temp}: ${errorText(cause)}`, {
        cause,
      });
    }
  }

  #open(): Deno.FsFile {
    if (this.#file === undefined) throw new Error("incoming file used after commit or abort");
    return this.#file;
  }

  #closeFile(): void {
    const file = this.#file;
    this.#file = undefined;
    this.#pending = undefined;
    this.#pendingBytes = 0;
    try {
      file?.close();
    } catch {
      // Already closed by a failed operation: the descriptor is gone either way.
    }
  }
}

/**
 * Lists the received folder. Never throws for one entry: unreadable ones are skipped with a reason.
 *
 * @throws {PilotError} `internal` when the folder exists but cannot be read.
 */
export async function listReceived(home: string): Promise<ReceivedListing> {
  const dir = receivedDir(home);
  const names = await readNames(dir);
  if (names === undefined) return { dir: undefined, files: [], total: 0, skipped: [] };
  const files: ReceivedFile[] = [];
  const skipped: SkippedEntry[] = [];
  for (const name of names) {
    if (isTempName(name)) {
      skipped.push({ name, reason: "unfinished transfer" });
      continue;
    }
    const path = `${dir}/${name}`;
    try {
      const info = await Deno.lstat(path);
      files.push({ name, bytes: info.size, modified: formatLocalRfc3339(info.mtime ?? new Date(0)), path });
    } catch (err) {
      skipped.push({ name, reason: `no metadata: ${errorText(err)}` });
    }
  }
  return { dir, files, total: files.length, skipped };
}

/**
 * Deletes every received file (`pilotctl received --clear`), counting failures as the reference does;
 * temp files of transfers in progress are left to the service.
 *
 * @throws {PilotError} `not_found` "no received files" when the folder is missing (the reference's
 * quirk); `internal` when it cannot be read.
 */
export async function clearReceived(home: string): Promise<{ cleared: number }> {
  const dir = receivedDir(home);
  const names = await readNames(dir);
  if (names === undefined) throw new PilotError("not_found", "no received files");
  return { cleared: await removeAll(dir, names) };
}
