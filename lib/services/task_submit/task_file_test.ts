import assert from "node:assert/strict";
import { computeReward, rawReward } from "./reward.ts";
import {
  formatTaskFile,
  formatUtcSeconds,
  isTaskId,
  newTaskId,
  parseTaskFile,
  parseTimestamp,
} from "./task_file.ts";
import { safeResultName, TaskStore } from "./task_store.ts";

// services.md §13.6: the receiver's file right after acceptance.
const ACCEPTED_FILE = `{
  "task_id": "9b6627bb-ddf9-1224-c2d7-a310548ca5bd",
  "task_description": "Analyze AI framework trends",
  "created_at": "2026-11-24T18:35:04Z",
  "status": "ACCEPTED",
  "status_justification": "Task accepted",
  "from": "0:0000.0000.0002",
  "to": "0:0000.0000.0001",
  "accepted_at": "2026-11-24T18:35:07Z",
  "time_idle_ms": 3399
}`;

Deno.test("task file: the reference's indented layout round-trips byte for byte", () => {
  const task = parseTaskFile(new TextEncoder().encode(ACCEPTED_FILE));
  assert.equal(task.status, "ACCEPTED");
  assert.equal(task.timeIdleMs, 3399);
  assert.equal(task.stagedAt, undefined);
  assert.equal(formatTaskFile(task), ACCEPTED_FILE);
});

Deno.test("task file: hostile files fail with service_bad_message", () => {
  for (const input of ["", "{", "[1]", '{"status":1}', '{"time_idle_ms":"3"}']) {
    assert.throws(
      () => parseTaskFile(new TextEncoder().encode(input)),
      { code: "service_bad_message" },
      input,
    );
  }
});

Deno.test("task id: fresh ids have the reference's form; paths and empty ids are refused", () => {
  for (let i = 0; i < 50; i++) assert.ok(isTaskId(newTaskId()));
  for (
    const bad of [
      "",
      "../../etc/passwd",
      "9B6627BB-DDF9-1224-C2D7-A310548CA5BD",
      "9b6627bb-ddf9-1224-c2d7-a310548ca5b",
    ]
  ) {
    assert.ok(!isTaskId(bad), bad);
  }
});

Deno.test("task time: UTC whole seconds, and unparsable stamps are unknown", () => {
  assert.equal(formatUtcSeconds(Date.UTC(2026, 10, 24, 18, 35, 4, 999)), "2026-11-24T18:35:04Z");
  assert.equal(parseTimestamp("2026-11-24T18:35:04Z"), Date.UTC(2026, 10, 24, 18, 35, 4));
  assert.equal(parseTimestamp("yesterday"), undefined);
  assert.equal(parseTimestamp(""), undefined);
});

Deno.test("reward: the test vectors of services.md §6.11", () => {
  const vectors: Array<[number, number, number, number]> = [
    [0, 0, 0, 1],
    [0, 0, 60000, 2],
    [0, 0, 180000, 3],
    [0, 0, 420000, 4],
    [0, 0, 900000, 5],
    [0, 0, 1860000, 6],
    [0, 0, 3780000, 7],
    [30000, 0, 180000, 3],
    [60000, 600000, 0, 1],
    [60000, 600000, 420000, 2],
    [5000, 60000, 1860000, 6],
    [15000, 150000, 180000, 3],
    [30000, 300000, 600000, 3],
    [120000, 1200000, 0, 1],
  ];
  for (const [idleMs, stagedMs, cpuMs, reward] of vectors) {
    assert.equal(computeReward({ idleMs, stagedMs, cpuMs }), reward, `${idleMs},${stagedMs},${cpuMs}`);
  }
  assert.ok(Math.abs(rawReward({ idleMs: 30000, stagedMs: 300000, cpuMs: 600000 }) - 3.1216) < 1e-4);
  assert.ok(Math.abs(rawReward({ idleMs: 60000, stagedMs: 600000, cpuMs: 0 }) - 0.4) < 1e-9);
  assert.equal(computeReward({ idleMs: -5, stagedMs: Number.NaN, cpuMs: 0 }), 1);
});

Deno.test("task store: atomic files, file-name order, bad names skipped, safe result names", async () => {
  const home = await Deno.makeTempDir();
  try {
    const store = new TaskStore(home);
    const base = parseTaskFile(new TextEncoder().encode(ACCEPTED_FILE));
    const ids = ["ffffffff-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000001"];
    for (const taskId of ids) await store.create("received", { ...base, taskId });
    await assert.rejects(store.create("received", { ...base, taskId: ids[0] }), { code: "already_exists" });
    await Deno.writeTextFile(`${home}/tasks/received/not-a-task.json`, "{}");
    await Deno.writeTextFile(`${home}/tasks/received/00000000-0000-0000-0000-000000000000.json`, "{broken");
    assert.deepEqual((await store.list("received")).map((t) => t.taskId), [...ids].reverse());
    assert.deepEqual(await store.list("submitted"), []);
    assert.equal(await store.read("received", "../x"), undefined);
    assert.equal(((await Deno.stat(`${home}/tasks/received`)).mode ?? 0) & 0o777, 0o700);
    assert.equal(((await Deno.stat(store.pathOf("received", ids[0]))).mode ?? 0) & 0o777, 0o600);
    const path = await store.writeResult(ids[0], { filename: "../../evil.md", data: new Uint8Array([1]) });
    assert.equal(path, `${home}/tasks/results/${ids[0]}_evil.md`);
    assert.equal(safeResultName(".."), "result.bin");
    assert.equal(safeResultName("a\u0000b\nc.txt"), "abc.txt");
    const text = await store.writeResult(ids[1], { data: new TextEncoder().encode("hi") });
    assert.equal(text, `${home}/tasks/results/${ids[1]}_result.txt`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
