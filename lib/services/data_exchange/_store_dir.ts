/**
 * Folder rules shared by the inbox and the received folder: creating them (0700), the reference's
 * `<base>-<stamp><ext>` names with our collision suffix, recognising our temp files, and removing the
 * ones a crash left behind.
 *
 * @module
 */

import { errorText, PilotError } from "../../errors.ts";
import { DIR_MODE, MAX_NAME_SUFFIX } from "./constants.ts";

/** A file in a folder that a listing left out, and why. */
export interface SkippedEntry {
  /** File name inside the folder. */
  name: string;
  /** Why it was left out, for logs and `--verbose` output. */
  reason: string;
}

// Temp files of lib/fs/atomic_file.ts (`.<base>.<16 hex>.tmp`) and of received-file streaming
// (`.incoming.<16 hex>.tmp`). A stored name always carries a `-<stamp>` before its extension, so no
// stored message or file can take this shape.
const TEMP_NAME = /^\..*\.[0-9a-f]{16}\.tmp$/;

/** True for names of unfinished writes: listings skip them, `--clear` leaves them to the service. */
export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

/** A fresh temp name for streaming into `dir`. */
export function incomingTempPath(dir: string): string {
  return `${dir}/.incoming.${crypto.getRandomValues(new Uint8Array(8)).toHex()}.tmp`;
}

/**
 * Candidate `attempt` for a stored name. Attempt 0 is the reference's own name; later ones add `_001`,
 * `_002`, ... before the extension. `_` sorts after `.`, so in a byte-order listing the first message
 * of a millisecond still comes first and the suffixed ones follow it in order.
 */
export function storedName(base: string, stamp: string, ext: string, attempt: number): string {
  return attempt === 0
    ? `${base}-${stamp}${ext}`
    : `${base}-${stamp}_${String(attempt).padStart(3, "0")}${ext}`;
}

/** Candidate names a store tries before giving up: the reference's own and `_001` … `_999`. */
export const NAME_ATTEMPTS = MAX_NAME_SUFFIX + 1;

/**
 * The file name of `taken`, a path in `dir` that lib/fs/atomic_file.ts took among the candidates
 * `nameAt(0)`, `nameAt(1)`, ...
 *
 * @throws {PilotError} `store_name_exhausted` when none was free (`taken` is `undefined`).
 */
export function takenName(
  dir: string,
  taken: string | undefined,
  nameAt: (attempt: number) => string,
): string {
  if (taken === undefined) {
    throw new PilotError("store_name_exhausted", `${NAME_ATTEMPTS} names taken for ${nameAt(0)}`);
  }
  return taken.slice(dir.length + 1);
}

/** Creates `dir` (and parents) with mode 0700; an existing folder keeps its mode (§4.3). */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true, mode: DIR_MODE });
  } catch (cause) {
    throw new PilotError("store_write_failed", `cannot create ${dir}: ${errorText(cause)}`, { cause });
  }
}

/**
 * Removes temp files in `dir` whose last change is older than `maxAgeMs` before `now`. A missing
 * folder has nothing to clean. Returns how many were removed.
 */
export async function removeStaleTemps(dir: string, maxAgeMs: number, now: Date): Promise<number> {
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !isTempName(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      try {
        const info = await Deno.lstat(path);
        const changed = info.mtime?.getTime() ?? 0;
        if (now.getTime() - changed < maxAgeMs) continue; // maybe a live write of a daemon sharing home
        await Deno.remove(path);
        removed++;
      } catch {
        // Gone already (its writer finished or another cleaner won): nothing left to remove.
      }
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return removed;
    throw new PilotError("store_read_failed", `cannot scan ${dir}: ${errorText(err)}`, { cause: err });
  }
  return removed;
}

/** Non-directory entry names in byte order, or `undefined` when the folder is missing. */
export async function readNames(dir: string): Promise<string[] | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isDirectory) names.push(entry.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new PilotError("internal", `read directory: ${errorText(err)}`, { cause: err });
  }
  return names.sort(compareNames);
}

/** Removes `names` (temp files excepted) from `dir`, ignoring failures; returns how many it tried. */
export async function removeAll(dir: string, names: readonly string[]): Promise<number> {
  let cleared = 0;
  for (const name of names) {
    if (isTempName(name)) continue;
    cleared++;
    try {
      await Deno.remove(`${dir}/${name}`);
    } catch {
      // The reference ignores deletion errors and still counts the entry (cli.md §15.1).
    }
  }
  return cleared;
}

/** Compares by Unicode code point, which is UTF-8 byte order, as the reference lists file names. */
export function compareNames(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const n = Math.min(left.length, right.length);
  for (let i = 0; i < n; i++) {
    const x = left[i]?.codePointAt(0) ?? 0;
    const y = right[i]?.codePointAt(0) ?? 0;
    if (x !== y) return x - y;
  }
  return left.length - right.length;
}
