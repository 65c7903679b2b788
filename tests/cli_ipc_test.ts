/**
 * The daemon-backed commands over a real IPC socket (lib/ipc's server and client), with a scripted
 * daemon side that answers with the replies captured from the reference (shared/vectors/ipc.json). What
 * pilotctl sends is compared byte for byte with the captured requests. This pins the CLI half until the
 * daemon's own IPC handlers land; the same commands then run end to end against a live daemon.
 */

import assert from "node:assert/strict";
import { runInProcess } from "../cli/_testing.ts";
import { renderInfo } from "../cli/commands/diagnostics.ts";
import { PilotError } from "../lib/errors.ts";
import {
  encodeIpcMessage,
  type IpcJsonReplyKind,
  type IpcRequest,
  IpcServer,
  type IpcSession,
} from "../lib/ipc/mod.ts";
import { capturedJson, capturedRequest } from "./_helpers/ipc_captures.ts";

const INFO = capturedJson("InfoOK");
const TRUSTED = capturedJson("HandshakeOK", 0);
const PENDING = capturedJson("HandshakeOK", 4);

/** The scripted daemon side: the reference's replies, and the registry errors it would relay. */
function reply(session: IpcSession, msg: IpcRequest): Promise<boolean> | void {
  const json = (kind: IpcJsonReplyKind, value: unknown) => session.send({ kind, json: value });
  switch (msg.kind) {
    case "info":
      return json("info_ok", INFO);
    case "resolve_hostname":
      if (msg.hostname !== "agent-b") {
        throw new PilotError("ipc_error", "resolve_hostname: registry: request failed");
      }
      return json("resolve_hostname_ok", capturedJson("ResolveHostnameOK"));
    case "set_task_exec":
      return json("set_task_exec_ok", { node_id: 1, task_exec: msg.enabled, type: "set_task_exec_ok" });
    case "set_hostname":
      if (msg.hostname === "Bad") throw new PilotError("ipc_error", "set_hostname: registry: request failed");
      return json("set_hostname_ok", { hostname: msg.hostname, node_id: 1, type: "set_hostname_ok" });
    case "set_tags":
      return json("set_tags_ok", {
        node_id: 1,
        tags: msg.tags.map((t) => t.replace(/^#/, "")),
        type: "set_tags_ok",
      });
    case "set_visibility":
      return json("set_visibility_ok", {
        node_id: 1,
        type: "set_visibility_ok",
        visibility: msg.public ? "public" : "private",
      });
    case "deregister":
      return json("deregister_ok", { type: "deregister_ok" });
    case "set_webhook":
      return json("set_webhook_ok", { webhook: msg.url });
    case "close":
      return session.send({ kind: "close_ok", connId: msg.connId });
    case "handshake":
      switch (msg.sub) {
        case "trusted":
          return json("handshake_ok", TRUSTED);
        case "pending":
          return json("handshake_ok", PENDING);
        case "request":
          return json("handshake_ok", { node_id: msg.nodeId, status: "sent" });
        case "approve":
          return json("handshake_ok", { node_id: msg.nodeId, status: "approved" });
        case "reject":
          return json("handshake_ok", { node_id: msg.nodeId, status: "rejected" });
        case "revoke":
          if (msg.nodeId !== 2) {
            throw new PilotError("ipc_error", `handshake revoke: node ${msg.nodeId} was not trusted`);
          }
          return json("handshake_ok", { node_id: msg.nodeId, status: "revoked" });
      }
      return;
    default:
      throw new PilotError("ipc_error", `unexpected ${msg.kind}`);
  }
}

Deno.test("daemon-backed commands: requests and outputs over a real IPC socket", async (t) => {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  const requests: string[] = [];
  const server = await IpcServer.listen({
    path: `${home}/pilot.sock`,
    handler: {
      handleMessage: async (session, msg) => {
        requests.push(encodeIpcMessage(msg).toHex());
        await reply(session, msg);
      },
    },
  });
  const vars = { HOME: home, PILOT_SOCKET: `${home}/pilot.sock` };
  const run = (argv: string[]) => {
    requests.length = 0;
    return runInProcess(argv, vars);
  };
  try {
    await t.step("info: Info request, §14.1 text, JSON passthrough", async () => {
      const text = await run(["info"]);
      assert.deepEqual(requests, [capturedRequest("Info")]);
      assert.equal(text.stdout, `${renderInfo(INFO)}\n`);
      const json = await run(["--json", "info"]);
      assert.deepEqual(JSON.parse(json.stdout), { data: INFO, status: "ok" });
    });
    await t.step("find: ResolveHostname as captured, §9.1 text and JSON", async () => {
      const text = await run(["find", "agent-b"]);
      assert.deepEqual(requests, [capturedRequest("ResolveHostname: 'agent-b'")]);
      assert.equal(
        text.stdout,
        "Hostname:  agent-b\nNode ID:   2\nAddress:   0:0000.0000.0002\nVisible:   private\n",
      );
      const json = await run(["--json", "find", "agent-b"]);
      assert.equal(
        json.stdout,
        '{"data":{"address":"0:0000.0000.0002","hostname":"agent-b","node_id":2,"public":false},"status":"ok"}\n',
      );
      const missing = await run(["--json", "find", "nosuch"]);
      assert.deepEqual(JSON.parse(missing.stderr), {
        code: "not_found",
        hint: 'establish trust first: pilotctl handshake nosuch "reason"',
        message: 'cannot find "nosuch" — hostname not found or no mutual trust',
        status: "error",
      });
    });
    await t.step("enable-tasks: SetTaskExec 1 as captured, the registry reply as indented JSON", async () => {
      const text = await run(["enable-tasks"]);
      assert.deepEqual(requests, [capturedRequest("SetTaskExec")]);
      assert.equal(
        text.stdout,
        '{\n  "node_id": 1,\n  "task_exec": true,\n  "type": "set_task_exec_ok"\n}\n',
      );
      const off = await run(["--json", "disable-tasks"]);
      assert.equal(
        off.stdout,
        '{"data":{"node_id":1,"task_exec":false,"type":"set_task_exec_ok"},"status":"ok"}\n',
      );
    });
    await t.step("trust and pending: the captured sub-commands and their tables", async () => {
      const trust = await run(["--json", "trust"]);
      assert.deepEqual(requests, [capturedRequest("sub=0x05(trusted)")]);
      assert.deepEqual(JSON.parse(trust.stdout), { data: TRUSTED, status: "ok" });
      const pending = await run(["pending"]);
      assert.deepEqual(requests, [capturedRequest("sub=0x04(pending)")]);
      assert.match(pending.stdout, /^NODE ID {5}JUSTIFICATION {29}RECEIVED\n1 {11}direct hello/);
    });
    await t.step("handshake: node ID, address or hostname, then the request as captured", async () => {
      const byId = await run(["handshake", "2", "direct hello"]);
      assert.deepEqual(requests, [capturedRequest("sub=0x01(send)")]);
      assert.equal(
        byId.stdout,
        "handshake request sent to node 2\n  next: node 2 must approve — or send a handshake back for auto-approval\n" +
          "  check: pilotctl trust\n",
      );
      const byAddress = await run(["handshake", "7:0007.0000.0002", "direct hello"]);
      assert.equal(byAddress.stderr, "parsed address 7:0007.0000.0002 → node 2\n");
      assert.deepEqual(requests, [capturedRequest("sub=0x01(send)")]);
      const byName = await run(["--json", "handshake", "agent-b"]);
      assert.equal(byName.stderr, "");
      assert.equal(byName.stdout, '{"data":{"node_id":2,"status":"sent"},"status":"ok"}\n');
      assert.equal((await run(["handshake", "agent-b"])).stderr, "resolved agent-b → node 2\n");
      const unknown = await run(["--json", "handshake", "nosuch"]);
      assert.deepEqual(JSON.parse(unknown.stderr), {
        code: "not_found",
        message: 'resolve "nosuch": resolve_hostname: daemon: resolve_hostname: registry: request failed',
        status: "error",
      });
    });
    await t.step("approve, reject, untrust", async () => {
      const approve = await run(["approve", "1"]);
      assert.deepEqual(requests, [capturedRequest("sub=0x02(approve)")]);
      assert.equal(approve.stdout, "trust established with node 1\n  try: pilotctl ping 1\n");
      assert.equal((await run(["reject", "5", "no"])).stdout, "handshake from node 5 rejected\n");
      const untrust = await run(["untrust", "2"]);
      assert.deepEqual(requests, [capturedRequest("sub=0x06(revoke)")]);
      assert.equal(untrust.stdout, '{\n  "node_id": 2\n}\n');
      const notTrusted = await run(["untrust", "1"]);
      assert.equal(
        notTrusted.stderr,
        "error: untrust: revoke: daemon: handshake revoke: node 1 was not trusted\n",
      );
    });
    await t.step(
      "set-hostname: layered error text; success persists the hostname in config.json",
      async () => {
        const bad = await run(["--json", "set-hostname", "Bad"]);
        assert.deepEqual(JSON.parse(bad.stderr), {
          code: "connection_failed",
          message: "set-hostname: set_hostname: daemon: set_hostname: registry: request failed",
          status: "error",
        });
        assert.equal((await run(["set-hostname", "alpha"])).stdout, "hostname set: alpha\n");
        assert.equal(JSON.parse(await Deno.readTextFile(`${home}/.pilot/config.json`)).hostname, "alpha");
        const cleared = await run(["--json", "clear-hostname"]);
        assert.equal(cleared.stdout, '{"data":{"hostname":""},"status":"ok"}\n');
        assert.equal(JSON.parse(await Deno.readTextFile(`${home}/.pilot/config.json`)).hostname, undefined);
        assert.equal((await run(["set-hostname", ""])).stdout, "hostname cleared\n");
      },
    );
    await t.step("set-tags and clear-tags show the registry's normalised tags", async () => {
      assert.equal((await run(["set-tags", "#ml", "gpu"])).stdout, "tags set: #ml #gpu\n");
      assert.equal(
        (await run(["--json", "set-tags", "#ml"])).stdout,
        '{"data":{"node_id":1,"tags":["ml"]},"status":"ok"}\n',
      );
      assert.equal((await run(["--json", "clear-tags"])).stdout, '{"data":{"tags":[]},"status":"ok"}\n');
    });
    await t.step("set-public, set-private, deregister print the registry reply", async () => {
      assert.equal(
        (await run(["set-public"])).stdout,
        '{\n  "node_id": 1,\n  "type": "set_visibility_ok",\n  "visibility": "public"\n}\n',
      );
      assert.equal(
        (await run(["--json", "set-private"])).stdout,
        '{"data":{"node_id":1,"type":"set_visibility_ok","visibility":"private"},"status":"ok"}\n',
      );
      assert.equal((await run(["deregister"])).stdout, '{\n  "type": "deregister_ok"\n}\n');
    });
    await t.step("set-webhook reaches a running daemon", async () => {
      const set = await run(["set-webhook", "http://127.0.0.1:9/hook"]);
      assert.equal(set.stdout, "webhook set: http://127.0.0.1:9/hook\napplied to running daemon\n");
      assert.equal(
        (await run(["--json", "clear-webhook"])).stdout,
        '{"data":{"applied":true,"webhook":""},"status":"ok"}\n',
      );
    });
    await t.step(
      "disconnect returns once the daemon answers CloseOK (the reference hangs, issue #5)",
      async () => {
        const done = await run(["--json", "disconnect", "5"]);
        assert.equal(done.code, 0, done.stderr);
        assert.equal(done.stdout, '{"data":{"conn_id":5},"status":"ok"}\n');
      },
    );
    await t.step("peers, connections and daemon status read the Info object", async () => {
      assert.equal(
        (await run(["--json", "peers"])).stdout,
        '{"data":{"peers":null,"total":0},"status":"ok"}\n',
      );
      assert.equal(
        (await run(["--json", "connections"])).stdout,
        '{"data":{"connections":[],"total":0},"status":"ok"}\n',
      );
      assert.equal((await run(["daemon", "status", "--check"])).code, 0);
      const status = await run(["daemon", "status"]);
      // No PID file: the §7.3 quirk header, then the daemon's details.
      assert.equal(
        status.stdout,
        "Daemon: stopped (pid 0)\n  Node ID:     1\n  Address:     0:0000.0000.0001\n  Hostname:    agent-a\n" +
          "  Uptime:      00:00:01\n  Peers:       0\n  Connections: 0\n",
      );
      const json = JSON.parse((await run(["--json", "daemon", "status"])).stdout).data;
      assert.equal(json.running, true);
      assert.equal(json.responsive, true);
    });
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("daemon-backed commands: a daemon that drops the connection gives 'daemon disconnected'", async () => {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  const server = await IpcServer.listen({
    path: `${home}/pilot.sock`,
    handler: { handleMessage: (session) => session.close() },
  });
  try {
    const vars = { HOME: home, PILOT_SOCKET: `${home}/pilot.sock` };
    const info = await runInProcess(["--json", "info"], vars);
    assert.deepEqual(JSON.parse(info.stderr), {
      code: "connection_failed",
      message: "info: info: daemon disconnected",
      status: "error",
    });
    assert.equal((await runInProcess(["daemon", "status", "--check"], vars)).code, 1);
    const status = JSON.parse((await runInProcess(["--json", "daemon", "status"], vars)).stdout).data;
    assert.equal(status.responsive, false);
  } finally {
    await server.close();
    await Deno.remove(home, { recursive: true });
  }
});
