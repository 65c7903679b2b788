/**
 * Crash-safe file writes. `writeFileAtomic` replaces a file so that readers see the old content or the
 * new content, never a mix or a truncated file: the data goes to a temp file in the same directory
 * (same file system, so the rename is atomic), is fsynced, then renamed over the target.
 * `writeFileExclusive` does the same but never replaces an existing file: the finished temp file is
 * hard-linked to the final name, which fails if that name exists.
 *
 * Guarantee for both: no partial file is ever visible under the final name, and on failure the temp file
 * is removed. After the rename/link the directory is fsynced too (best effort), so the new name itself
 * survives a power loss.
 *
 * @module
 */

import { errorText, PilotError } from "../errors.ts";

/** Options of {@linkcode writeFileAtomic} and {@linkcode writeFileExclusive}. */
export interface WriteFileOptions {
  /** Permission bits of the final file, applied exactly (not masked by the umask). Default 0o600. */
  mode?: number;
}

const encoder = new TextEncoder();

function splitPath(path: string): { dir: string; base: string } {
  const cut = path.lastIndexOf("/");
  if (cut === -1) return { dir: ".", base: path };
  return { dir: cut === 0 ? "/" : path.slice(0, cut), base: path.slice(cut + 1) };
}

function tempName(dir: string, base: string): string {
  const random = crypto.getRandomValues(new Uint8Array(8)).toHex();
  // Dot-prefixed and suffixed, so directory scans (inbox listings) can skip unfinished files. The base is
  // cut so that a final name near the 255-byte limit still leaves room for the temp name.
  return `${dir === "/" ? "" : dir}/.${base.slice(0, 64)}.${random}.tmp`;
}

async function writeTemp(path: string, data: Uint8Array | string, mode: number): Promise<string> {
  const { dir, base } = splitPath(path);
  if (base === "" || base === "." || base === "..") {
    throw new PilotError("store_bad_path", `cannot write a file at ${JSON.stringify(path)}`);
  }
  const temp = tempName(dir, base);
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode });
    try {
      for (let offset = 0; offset < bytes.byteLength;) offset += await file.write(bytes.subarray(offset));
      await Deno.chmod(temp, mode); // the open mode was masked by the umask
      await file.sync();
    } finally {
      file.close();
    }
    return temp;
  } catch (cause) {
    await removeQuietly(temp);
    throw new PilotError("store_write_failed", `cannot write ${path}: ${errorText(cause)}`, { cause });
  }
}

/** Removes `path`; a file that is not there is not an error. */
export async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch {
    // Already gone, or never created: nothing is left behind either way.
  }
}

/** fsyncs a folder so a new name in it survives a power loss; some platforms cannot, which is fine. */
export async function syncDir(dir: string): Promise<void> {
  try {
    using handle = await Deno.open(dir, { read: true });
    await handle.sync();
  } catch {
    // Some platforms cannot open or fsync a directory; the data itself is already durable.
  }
}

/**
 * Writes `data` to `path`, replacing any existing file atomically.
 *
 * @throws {PilotError} `store_write_failed` (the cause keeps the OS error); the target is untouched.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_file.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/state.json`, "{}");
 * if (await Deno.readTextFile(`${dir}/state.json`) !== "{}") throw new Error("written");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  options: WriteFileOptions = {},
): Promise<void> {
  const temp = await writeTemp(path, data, options.mode ?? 0o600);
  try {
    await Deno.rename(temp, path);
  } catch (cause) {
    await removeQuietly(temp);
    throw new PilotError("store_write_failed", `cannot replace ${path}: ${errorText(cause)}`, { cause });
  }
  await syncDir(splitPath(path).dir);
}

/**
 * Creates `path` with `data`, failing if a file of that name exists (it is never overwritten). The name
 * appears only once the content is complete and synced.
 *
 * @throws {PilotError} `already_exists` when `path` exists; `store_write_failed` on other errors.
 */
export async function writeFileExclusive(
  path: string,
  data: Uint8Array | string,
  options: WriteFileOptions = {},
): Promise<void> {
  const taken = await writeFileUnderFreeName(() => path, 1, data, options);
  if (taken === undefined) throw new PilotError("already_exists", `${path} already exists`);
}

/**
 * As {@linkcode writeFileExclusive}, trying `pathAt(0)`, `pathAt(1)`, ... up to `attempts` names in one
 * folder until one is free. The content is written and synced once, whatever the number of names
 * tried, so writers racing for the same names each pay one fsync, not one per name taken.
 *
 * Returns the path taken, or `undefined` when every name tried exists (nothing is left behind).
 *
 * @throws {PilotError} `store_write_failed` on errors other than a taken name.
 */
export async function writeFileUnderFreeName(
  pathAt: (attempt: number) => string,
  attempts: number,
  data: Uint8Array | string,
  options: WriteFileOptions = {},
): Promise<string | undefined> {
  const temp = await writeTemp(pathAt(0), data, options.mode ?? 0o600);
  let taken: string | undefined;
  try {
    taken = await linkUnderFreeName(temp, pathAt, attempts);
  } finally {
    await removeQuietly(temp);
  }
  if (taken !== undefined) await syncDir(splitPath(taken).dir);
  return taken;
}

/**
 * Hard-links the finished file `from` under the first of `pathAt(0)`, `pathAt(1)`, ... (up to
 * `attempts` names) that does not exist, never replacing one. `from` stays; the caller removes it and
 * syncs the folder.
 *
 * Returns the path taken, or `undefined` when every name tried exists.
 *
 * @throws {PilotError} `store_write_failed` on errors other than a taken name.
 */
export async function linkUnderFreeName(
  from: string,
  pathAt: (attempt: number) => string,
  attempts: number,
): Promise<string | undefined> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const path = pathAt(attempt);
    try {
      await Deno.link(from, path);
      return path;
    } catch (cause) {
      if (cause instanceof Deno.errors.AlreadyExists) continue;
      throw new PilotError("store_write_failed", `cannot create ${path}: ${errorText(cause)}`, { cause });
    }
  }
  return undefined;
}
