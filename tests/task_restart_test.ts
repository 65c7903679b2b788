/**
 * End to end (issue #6): task state survives daemon restarts, and hostile frames on port 1003 end only
 * their own connection. The registry runs in the test process, so either daemon can restart and keep
 * its node id (its identity lives in its home).
 */

import assert from "node:assert/strict";
import { runChild } from "../cli/_testing.ts";
import { dialStream, IpcClient, type IpcStreamConn } from "../lib/ipc/mod.ts";
import { parseAddress } from "../lib/protocol/mod.ts";
import { startRegistry } from "../lib/registry/mod.ts";
import {
  encodeStatusUpdate,
  encodeSubmitRequest,
  encodeTaskFrame,
  FRAME_TYPES,
  parseSubmitResponse,
  TaskFrameReader,
} from "../lib/services/task_submit/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { ok, statusLogged, taskFile } from "./_helpers/task_nodes.ts";

Deno.test("task e2e: accepted tasks and delivered results survive restarts of receiver and submitter", async () => {
  await using registry = await startRegistry({ addr: "127.0.0.1:0", store: ":memory:" });
  const home = await Deno.makeTempDir({ prefix: "pd-" });
  try {
    const alphaFlags = ["-public"];
    let alpha = await startDaemon({ registry: registry.address, keepHome: true, flags: alphaFlags });
    let beta = await startDaemon({ registry: registry.address, home, flags: ["-public"] });
    try {
      const ids: string[] = [];
      for (const task of ["first", "second"]) {
        const data = await ok(alpha, ["task", "submit", beta.address, "--task", task]);
        assert.equal(data.accepted, true, String(data.message));
        ids.push(String(data.task_id));
      }
      for (const id of ids) await ok(beta, ["task", "accept", "--id", id]);
      const before = await taskFile(beta, "received", ids[0]);

      await beta.stop();
      const nodeId = beta.nodeId;
      beta = await startDaemon({ registry: registry.address, home, flags: ["-public"] });
      assert.equal(beta.nodeId, nodeId, "the identity in the home keeps the node id");
      const queue = await ok(beta, ["task", "queue"]);
      assert.deepEqual((queue.queue as Array<Record<string, unknown>>).map((t) => t.task_id), ids);
      assert.equal(
        (await taskFile(beta, "received", ids[0])).stagedAt,
        before.stagedAt,
        "the head keeps its staged time",
      );
      const executed = await ok(beta, ["task", "execute"]);
      assert.equal(executed.task_id, ids[0], "the queue is FIFO after a restart");
      await ok(beta, ["task", "send-results", "--id", ids[0], "--results", "done <1>"]);
      await statusLogged(alpha, ids[0], "SUCCEEDED");
      assert.equal(
        await Deno.readTextFile(`${alpha.pilotHome}/tasks/results/${ids[0]}_result.txt`),
        "done <1>",
      );

      const alphaHome = alpha.home;
      await alpha.stop();
      alpha = await startDaemon({
        registry: registry.address,
        home: alphaHome,
        keepHome: true,
        flags: ["-public"],
      });
      const list = await ok(alpha, ["task", "list", "--type", "submitted"]);
      const statuses = Object.fromEntries(
        (list.tasks as Array<Record<string, unknown>>).map((t) => [String(t.task_id), t.status]),
      );
      assert.deepEqual(statuses, { [ids[0]]: "SUCCEEDED", [ids[1]]: "ACCEPTED" });
      assert.equal(
        await Deno.readTextFile(`${alpha.pilotHome}/tasks/results/${ids[0]}_result.txt`),
        "done <1>",
      );
      // The restarted alpha lost its tunnel keys while beta still holds the old session: until alpha
      // speaks first, beta's packets are undecryptable there (a tunnel matter, reported separately).
      const ping = await runChild(["ping", beta.address, "--count", "1"], {
        home: alpha.home,
        socket: alpha.socket,
      });
      assert.equal(ping.code, 0, ping.stderr);
      await ok(beta, ["task", "execute"]);
      await ok(beta, ["task", "send-results", "--id", ids[1], "--results", "two"]);
      await statusLogged(alpha, ids[1], "SUCCEEDED");
    } finally {
      await beta.stop();
      const alphaHome = alpha.home;
      await alpha.stop();
      await Deno.remove(alphaHome, { recursive: true }).catch(() => {});
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** Reads until the connection ends; the bytes the daemon sent before closing. */
async function drain(conn: IpcStreamConn): Promise<number> {
  let got = 0;
  for await (const chunk of conn.readable) got += chunk.byteLength;
  return got;
}

Deno.test("task e2e: malformed, oversized and misdirected frames are refused without harming the queue", async (t) => {
  await using alpha = await startDaemon({ flags: ["-public"] });
  const join = { registry: String(alpha.ready.registry), beacon: String(alpha.ready.beacon) };
  await using beta = await startDaemon({ ...join, flags: ["-public"] });
  const submitted = await ok(beta, ["task", "submit", alpha.address, "--task", "keep me"]);
  const kept = String(submitted.task_id);
  await ok(alpha, ["task", "accept", "--id", kept]);
  await using ipc = await IpcClient.connect(beta.socket);
  const target = parseAddress(alpha.address);
  const send = async (bytes: Uint8Array) => {
    const conn = await dialStream(ipc, target, 1003);
    const writer = conn.writable.getWriter();
    await writer.write(bytes);
    writer.releaseLock();
    const got = await withDeadline(drain(conn), 10_000, "the daemon did not close the connection");
    conn.close();
    return got;
  };
  const text = (s: string) => new TextEncoder().encode(s);

  await t.step(
    "bad JSON, an oversized length, legacy and unknown types: closed without a reply",
    async () => {
      assert.equal(await send(encodeTaskFrame(FRAME_TYPES.submit, text("{not json"))), 0);
      assert.equal(await send(new Uint8Array([0, 0, 0, 1, 0x01, 0, 0, 1, 0x7b])), 0);
      assert.equal(await send(encodeTaskFrame(FRAME_TYPES.result, text("{}"))), 0);
      assert.equal(await send(encodeTaskFrame(0xdead, text("{}"))), 0);
    },
  );

  await t.step("a local request from another node is refused", async () => {
    assert.equal(await send(encodeTaskFrame(FRAME_TYPES.localRequest, text('{"op":"execute"}'))), 0);
    assert.equal((await taskFile(alpha, "received", kept)).status, "ACCEPTED");
  });

  await t.step("a path-like task id is rejected with 400 and creates no file", async () => {
    const conn = await dialStream(ipc, target, 1003);
    const writer = conn.writable.getWriter();
    await writer.write(encodeTaskFrame(
      FRAME_TYPES.submit,
      encodeSubmitRequest({
        taskId: "../../evil",
        description: "x",
        fromAddr: beta.address,
        toAddr: alpha.address,
      }),
    ));
    writer.releaseLock();
    const reader = new TaskFrameReader(conn.readable);
    const frame = await withDeadline(reader.next(), 10_000, "no submit response");
    reader.release();
    conn.close();
    assert.equal(frame?.type, FRAME_TYPES.submit);
    assert.deepEqual(parseSubmitResponse(frame?.payload ?? new Uint8Array()), {
      taskId: "../../evil",
      status: 400,
      message: "Invalid task id",
    });
    await assert.rejects(Deno.stat(`${alpha.pilotHome}/evil.json`), Deno.errors.NotFound);
  });

  await t.step("a status update from a node that is not the task's receiver is ignored", async () => {
    // beta submitted `kept` to alpha, so only alpha may change it; here beta's own node tries.
    const own = await IpcClient.connect(beta.socket);
    try {
      const conn = await dialStream(own, parseAddress(beta.address), 1003);
      const writer = conn.writable.getWriter();
      await writer.write(encodeTaskFrame(
        FRAME_TYPES.statusUpdate,
        encodeStatusUpdate({ taskId: kept, status: "DECLINED", justification: "forged" }),
      ));
      await writer.close().catch(() => {});
      await beta.waitForLog((r) => r.msg === "status update from a node that is not the task's receiver");
      conn.close();
    } finally {
      await own.close();
    }
    assert.equal((await taskFile(beta, "submitted", kept)).status, "ACCEPTED");
  });

  await t.step("the queue is intact: the kept task executes and completes", async () => {
    assert.equal((await ok(alpha, ["task", "queue"])).count, 1);
    assert.equal((await ok(alpha, ["task", "execute"])).task_id, kept);
    await ok(alpha, ["task", "send-results", "--id", kept, "--results", "fine"]);
    await statusLogged(beta, kept, "SUCCEEDED");
  });
});
