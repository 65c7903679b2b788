/**
 * End to end (issue #6): the task marketplace between real daemons, driven by `pilotctl` child
 * processes. alpha hosts the registry; all three are public, so no trust is needed. gamma runs with
 * a one-second accept timeout and delta a one-second expiry, so cancellation and expiry happen within
 * the test.
 *
 * Every wait is on a daemon's log record with a deadline, never a sleep.
 */

import assert from "node:assert/strict";
import { runChild } from "../cli/_testing.ts";
import { startDaemon, type TestDaemon } from "./_helpers/daemon.ts";
import { json, ok, statusLogged, taskFile } from "./_helpers/task_nodes.ts";

/** `pilotctl --json …` expected to fail; returns the error envelope. */
async function fails(daemon: TestDaemon, argv: string[]): Promise<Record<string, unknown>> {
  const run = await runChild(["--json", ...argv], { home: daemon.home, socket: daemon.socket });
  assert.equal(run.code, 1, `${argv.join(" ")} should fail: ${run.stdout}`);
  return json(run.stderr);
}

async function score(daemon: TestDaemon, of: TestDaemon, registry: string): Promise<number> {
  const data = await ok(daemon, ["lookup", String(of.nodeId)], { vars: { PILOT_REGISTRY: registry } });
  return typeof data.polo_score === "number" ? data.polo_score : 0;
}

Deno.test("task e2e: submit → accept → execute → send-results, gating, decline, cancel and expiry", async (t) => {
  await using alpha = await startDaemon({ flags: ["-public"] });
  const registry = String(alpha.ready.registry);
  const join = { registry, beacon: String(alpha.ready.beacon) };
  await using beta = await startDaemon({ ...join, flags: ["-public"] });
  await using gamma = await startDaemon({
    ...join,
    flags: ["-public", "-task-accept-timeout", "1s", "-task-expiry", "1s"],
  });
  // Expiry needs the accept to land before the accept timeout, however slow a loaded machine starts
  // pilotctl, so it gets its own node whose accept timeout is long and whose expiry is short.
  await using delta = await startDaemon({
    ...join,
    flags: ["-public", "-task-accept-timeout", "10m", "-task-expiry", "1s"],
  });
  await using quiet = await startDaemon({ ...join, flags: ["-public", "-no-tasksubmit"] });
  let first = "";

  await t.step("submit: equal scores pass; both sides hold a NEW task file", async () => {
    const data = await ok(beta, ["task", "submit", alpha.address, "--task", "summarize <the> doc"]);
    assert.equal(data.accepted, true);
    assert.equal(data.status, 200);
    assert.equal(data.message, "Task received with status NEW");
    assert.equal(data.target, alpha.address);
    assert.equal(data.task, "summarize <the> doc");
    first = String(data.task_id);
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const received = await taskFile(alpha, "received", first);
    assert.equal(received.status, "NEW");
    assert.equal(received.from, beta.address, "from is the connecting node");
    assert.equal(received.to, alpha.address);
    const raw = await Deno.readTextFile(`${alpha.pilotHome}/tasks/received/${first}.json`);
    assert.ok(
      raw.startsWith(`{\n  "task_id": "${first}",\n  "task_description": "summarize \\u003cthe\\u003e doc",`),
      raw,
    );
    assert.ok(!raw.endsWith("\n"));
    assert.equal((await taskFile(beta, "submitted", first)).status, "NEW");
    assert.deepEqual(await ok(alpha, ["task", "queue"]), { queue: [] });
  });

  await t.step("accept: ACCEPTED on both sides, the task is queued", async () => {
    const data = await ok(alpha, ["task", "accept", "--id", first]);
    assert.deepEqual(data, { message: "Task accepted", status: "ACCEPTED", task_id: first });
    await statusLogged(beta, first, "ACCEPTED");
    assert.equal((await taskFile(beta, "submitted", first)).justification, "Task accepted");
    const received = await taskFile(alpha, "received", first);
    assert.ok(received.acceptedAt !== undefined && received.stagedAt !== undefined);
    const queue = await ok(alpha, ["task", "queue"]);
    assert.equal(queue.count, 1);
    const text = await runChild(["task", "queue"], { home: alpha.home, socket: alpha.socket });
    assert.equal(
      text.stdout,
      `Queued tasks (1):\n  1. ${first}: summarize <the> doc\n     From: ${beta.address}\n`,
    );
    const again = await fails(alpha, ["task", "accept", "--id", first]);
    assert.deepEqual(again, {
      code: "invalid_state",
      message: `task ${first} is already ACCEPTED`,
      status: "error",
    });
  });

  await t.step("execute: the head of the queue starts, with its staged time recorded", async () => {
    const data = await ok(alpha, ["task", "execute"]);
    assert.deepEqual(data, {
      from: beta.address,
      status: "EXECUTING",
      task_description: "summarize <the> doc",
      task_id: first,
    });
    await statusLogged(beta, first, "EXECUTING");
    const received = await taskFile(alpha, "received", first);
    assert.ok(received.executeStartedAt !== undefined);
    assert.deepEqual(await ok(alpha, ["task", "queue"]), { queue: [] });
    const none = await fails(alpha, ["task", "execute"]);
    assert.equal(none.message, "no accepted tasks to execute");
  });

  await t.step("send-results with a file: stored on the submitter, which ends at SUCCEEDED", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/report.md`, "# all good\n");
      const bad = await runChild(["--json", "task", "send-results", "--id", first, "--file", `${dir}/x.py`], {
        home: alpha.home,
        socket: alpha.socket,
      });
      assert.equal(json(bad.stderr).message, 'file type ".py" not allowed for results');
      const data = await ok(alpha, ["task", "send-results", "--id", first, "--file", `${dir}/report.md`], {
        read: [dir],
      });
      assert.deepEqual(data, {
        file_size: 11,
        filename: "report.md",
        sent_to: beta.address,
        sent_type: "file",
        status: "SUCCEEDED",
        task_id: first,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
    await statusLogged(beta, first, "SUCCEEDED");
    assert.equal(
      await Deno.readTextFile(`${beta.pilotHome}/tasks/results/${first}_report.md`),
      "# all good\n",
    );
    const submitted = await taskFile(beta, "submitted", first);
    assert.equal(submitted.status, "SUCCEEDED");
    assert.equal(submitted.justification, "Task completed successfully");
    assert.equal((await taskFile(alpha, "received", first)).status, "SUCCEEDED");
  });

  await t.step("polo: the executor gained its reward, the submitter paid 1; lookup shows both", async () => {
    await alpha.waitForLog((r) => r.msg === "polo score changed" && r.task_id === first);
    await beta.waitForLog((r) => r.msg === "polo score changed" && r.task_id === first);
    assert.equal(await score(gamma, alpha, registry), 1);
    assert.equal(await score(gamma, beta, registry), -1);
  });

  await t.step("gating: a submitter with a lower score is refused, and nothing is saved", async () => {
    const data = await ok(beta, ["task", "submit", alpha.address, "--task", "again"]);
    assert.equal(data.accepted, false);
    assert.equal(data.status, 400);
    assert.equal(data.message, "Polo score too low: submitter=-1, receiver=1");
    const list = await ok(beta, ["task", "list", "--type", "submitted"]);
    assert.equal((list.tasks as unknown[]).length, 1);
  });

  await t.step("decline: the submitter's copy takes the justification", async () => {
    const submit = await ok(gamma, ["task", "submit", beta.address, "--task", "please"]);
    assert.equal(submit.accepted, true, String(submit.message));
    const id = String(submit.task_id);
    const missing = await fails(beta, ["task", "decline", "--id", id]);
    assert.equal(missing.message, "--justification is required");
    const data = await ok(beta, ["task", "decline", "--id", id, "--justification", "too busy"]);
    assert.deepEqual(data, {
      justification: "too busy",
      message: "Task declined",
      status: "DECLINED",
      task_id: id,
    });
    await statusLogged(gamma, id, "DECLINED");
    assert.equal((await taskFile(gamma, "submitted", id)).justification, "too busy");
    const text = await runChild(["task", "list"], { home: gamma.home, socket: gamma.socket });
    assert.equal(
      text.stdout,
      `[submitted] ${id} (DECLINED) - please\n  From: ${gamma.address} → To: ${beta.address}\n`,
    );
  });

  await t.step(
    "cancel: an unanswered task is cancelled after the accept timeout, and the submitter told",
    async () => {
      const submit = await ok(alpha, ["task", "submit", gamma.address, "--task", "ignored"]);
      const id = String(submit.task_id);
      await statusLogged(alpha, id, "CANCELLED");
      const received = await taskFile(gamma, "received", id);
      assert.equal(received.status, "CANCELLED");
      assert.equal(received.justification, "Task cancelled: no response within 1s");
      const late = await fails(gamma, ["task", "accept", "--id", id]);
      assert.equal(late.code, "invalid_state");
    },
  );

  await t.step("expiry: an accepted task left at the head expires and costs the receiver 1", async () => {
    const submit = await ok(alpha, ["task", "submit", delta.address, "--task", "abandoned"]);
    const id = String(submit.task_id);
    await ok(delta, ["task", "accept", "--id", id]);
    await statusLogged(alpha, id, "EXPIRED");
    assert.equal((await taskFile(delta, "received", id)).status, "EXPIRED");
    await delta.waitForLog((r) => r.msg === "polo score changed" && r.task_id === id);
    assert.equal(await score(alpha, delta, registry), -1);
  });

  await t.step("-no-tasksubmit leaves port 1003 unbound; enable-tasks advertises in lookup", async () => {
    const refused = await fails(alpha, ["task", "submit", quiet.address, "--task", "x"]);
    assert.deepEqual(refused, {
      code: "connection_failed",
      hint: `check that ${quiet.address} is reachable: pilotctl ping ${quiet.address}`,
      message: `cannot connect to ${quiet.address} (task submit port 1003)`,
      status: "error",
    });
    const local = await fails(quiet, ["task", "execute"]);
    assert.equal(local.code, "connection_failed");
    assert.deepEqual(await ok(beta, ["enable-tasks"]), {
      node_id: beta.nodeId,
      task_exec: true,
      type: "set_task_exec_ok",
    });
    const lookup = await ok(gamma, ["lookup", String(beta.nodeId)], { vars: { PILOT_REGISTRY: registry } });
    assert.equal(lookup.task_exec, true);
    await ok(beta, ["disable-tasks"]);
  });
});
