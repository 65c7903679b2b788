/**
 * What the task marketplace end-to-end tests share: driving `pilotctl --json` against a test daemon
 * and reading the task files and log records it leaves behind.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ChildOptions, runChild } from "../../cli/_testing.ts";
import { parseTaskFile, type TaskFile } from "../../lib/services/task_submit/mod.ts";
import type { TestDaemon } from "./daemon.ts";

/** `stdout` parsed as a JSON object, asserting that it is one. */
export function json(stdout: string): Record<string, unknown> {
  const value: unknown = JSON.parse(stdout);
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), stdout);
  return Object.fromEntries(Object.entries(value));
}

/** `pilotctl --json …` on `daemon`; returns `data` of a success, asserting exit 0. */
export async function ok(
  daemon: TestDaemon,
  argv: string[],
  extra: Partial<ChildOptions> = {},
): Promise<Record<string, unknown>> {
  const run = await runChild(["--json", ...argv], { home: daemon.home, socket: daemon.socket, ...extra });
  assert.equal(run.code, 0, `${argv.join(" ")}: ${run.stderr}\n${daemon.log().slice(-4000)}`);
  const data = json(run.stdout).data;
  assert.ok(typeof data === "object" && data !== null, run.stdout);
  return Object.fromEntries(Object.entries(data));
}

/** The task file `id` that `daemon` keeps on `side` ("submitted" or "received"). */
export async function taskFile(daemon: TestDaemon, side: string, id: string): Promise<TaskFile> {
  return parseTaskFile(await Deno.readFile(`${daemon.pilotHome}/tasks/${side}/${id}.json`));
}

/** Waits for `daemon` to log that task `id` took `status` on the submitter side. */
export function statusLogged(
  daemon: TestDaemon,
  id: string,
  status: string,
): Promise<Record<string, unknown>> {
  return daemon.waitForLog((r) => r.msg === "task status updated" && r.task_id === id && r.status === status);
}
