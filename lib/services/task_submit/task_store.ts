/**
 * The task folders of one pilot home (services.md §6.4): `tasks/received/<id>.json`,
 * `tasks/submitted/<id>.json` and `tasks/results/`. Every write is atomic (temp file, fsync, rename),
 * unlike the reference's in-place writes, so a crash or a concurrent reader never sees half a task file;
 * a daemon restart therefore loses no accepted task or delivered result. Ids are checked before they
 * become paths, and result file names are reduced to a safe base name.
 *
 * @module
 */

import { isPilotError, PilotError } from "../../errors.ts";
import { writeFileAtomic, writeFileExclusive } from "../../fs/atomic_file.ts";
import { DIR_MODE, FILE_MODE } from "./constants.ts";
import { formatTaskFile, isTaskId, parseTaskFile, type TaskFile } from "./task_file.ts";

/** Which side's folder a task file lives in. */
export type TaskSide = "received" | "submitted";

/** Most task files one listing reads: a bound on a folder someone filled by hand. */
const MAX_LISTED = 100_000;

/** The task files under `<home>/tasks/`. */
export class TaskStore {
  readonly dir: string;

  /** `home` is the pilot home (`~/.pilot`). */
  constructor(home: string) {
    this.dir = `${home}/tasks`;
  }

  /** Path of a task's file. */
  pathOf(side: TaskSide, taskId: string): string {
    if (!isTaskId(taskId)) {
      throw new PilotError("store_bad_path", `invalid task id ${JSON.stringify(taskId)}`);
    }
    return `${this.dir}/${side}/${taskId}.json`;
  }

  /** Reads one task; `undefined` when it does not exist or cannot be parsed. */
  async read(side: TaskSide, taskId: string): Promise<TaskFile | undefined> {
    if (!isTaskId(taskId)) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(this.pathOf(side, taskId));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return undefined;
      throw new PilotError("store_read_failed", `cannot read task ${taskId}: ${errorText(err)}`, {
        cause: err,
      });
    }
    try {
      return parseTaskFile(bytes);
    } catch (err) {
      if (isPilotError(err)) return undefined;
      throw err;
    }
  }

  /** Replaces (or creates) a task's file atomically. */
  async write(side: TaskSide, task: TaskFile): Promise<void> {
    await this.#ensureTaskDirs();
    await writeFileAtomic(this.pathOf(side, task.taskId), formatTaskFile(task), { mode: FILE_MODE });
  }

  /** Creates a task's file; `already_exists` when one of that id is there (it is never replaced). */
  async create(side: TaskSide, task: TaskFile): Promise<void> {
    await this.#ensureTaskDirs();
    await writeFileExclusive(this.pathOf(side, task.taskId), formatTaskFile(task), { mode: FILE_MODE });
  }

  /** Removes a task's file; a missing one is not an error. */
  async remove(side: TaskSide, taskId: string): Promise<void> {
    try {
      await Deno.remove(this.pathOf(side, taskId));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  /**
   * Every parsable task of one side, in file-name order (cli.md §11.7); a missing folder is empty.
   * Files that are not `<id>.json` or do not parse are skipped, as the reference skips them.
   */
  async list(side: TaskSide): Promise<TaskFile[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(`${this.dir}/${side}`)) {
        if (!entry.isFile || !entry.name.endsWith(".json")) continue;
        if (!isTaskId(entry.name.slice(0, -".json".length))) continue;
        names.push(entry.name);
        if (names.length >= MAX_LISTED) break;
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return [];
      throw new PilotError("store_read_failed", `failed to read tasks directory: ${errorText(err)}`, {
        cause: err,
      });
    }
    names.sort();
    const tasks: TaskFile[] = [];
    for (const name of names) {
      const task = await this.read(side, name.slice(0, -".json".length));
      if (task !== undefined) tasks.push(task);
    }
    return tasks;
  }

  /**
   * Stores a result atomically: `results/<id>_result.txt` for text, `results/<id>_<name>` for a file,
   * with `name` reduced by {@linkcode safeResultName}. Returns the path written.
   */
  async writeResult(taskId: string, result: { filename?: string; data: Uint8Array }): Promise<string> {
    if (!isTaskId(taskId)) {
      throw new PilotError("store_bad_path", `invalid task id ${JSON.stringify(taskId)}`);
    }
    await Deno.mkdir(`${this.dir}/results`, { recursive: true, mode: DIR_MODE });
    const name = result.filename === undefined ? "result.txt" : safeResultName(result.filename);
    const path = `${this.dir}/results/${taskId}_${name}`;
    await writeFileAtomic(path, result.data, { mode: FILE_MODE });
    return path;
  }

  async #ensureTaskDirs(): Promise<void> {
    // Both together, as the reference creates them (§6.4).
    await Deno.mkdir(`${this.dir}/received`, { recursive: true, mode: DIR_MODE });
    await Deno.mkdir(`${this.dir}/submitted`, { recursive: true, mode: DIR_MODE });
  }
}

/**
 * A peer's result file name made safe to join into a path (the reference joins it unchecked, §6.6):
 * the last path component, control characters removed, at most 200 characters; `result.bin` when
 * nothing usable is left.
 */
export function safeResultName(filename: string): string {
  const base = filename.split(/[/\\]/).pop() ?? "";
  // deno-lint-ignore no-control-regex -- control characters are exactly what is being removed
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, "").trim().slice(0, 200);
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "result.bin" : cleaned;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
