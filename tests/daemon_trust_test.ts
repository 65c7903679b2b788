import assert from "node:assert/strict";
import { IpcClient } from "../lib/ipc/mod.ts";
import { parseAddress } from "../lib/protocol/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";

function listOf(json: unknown, key: string): Array<Record<string, unknown>> {
  const list = typeof json === "object" && json !== null ? Reflect.get(json, key) : undefined;
  return Array.isArray(list) ? list : [];
}

Deno.test("trust: a private node is unreachable until it approves the handshake, then both trust each other", async () => {
  const flags = ["-keepalive", "1s"];
  await using a = await startDaemon({ flags });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    beacon: String(a.ready.beacon),
    flags,
  });
  await using ipcA = await IpcClient.connect(a.socket);
  await using ipcB = await IpcClient.connect(b.socket);
  await ipcB.bind(5001);

  await assert.rejects(
    ipcA.dial(parseAddress(b.address), 5001),
    /resolve node \d+: registry: request failed/,
    "an untrusted node cannot reach a private one",
  );

  const sent = await ipcA.handshake({ sub: "request", nodeId: b.nodeId, justification: "let me in" });
  assert.deepEqual(sent, { node_id: b.nodeId, status: "sent" });
  // The request travels through the registry and reaches B on its next heartbeat's poll.
  await b.waitForLog((r) => r.msg === "event" && r.event === "handshake.pending", 15_000);
  const pending = listOf(await ipcB.handshake({ sub: "pending" }), "pending");
  assert.equal(pending[0].node_id, a.nodeId);
  assert.equal(pending[0].justification, "let me in");

  assert.deepEqual(await ipcB.handshake({ sub: "approve", nodeId: a.nodeId }), {
    node_id: a.nodeId,
    status: "approved",
  });
  // B's accept reaches A directly on port 444 or, failing that, through the registry on A's next poll.
  await a.waitForLog((r) => r.msg === "peer trusted" && r.peer === b.nodeId, 15_000);
  const trusted = listOf(await ipcA.handshake({ sub: "trusted" }), "trusted");
  assert.ok(trusted.some((t) => t.node_id === b.nodeId), JSON.stringify(trusted));
  const connId = await ipcA.dial(parseAddress(b.address), 5001);
  const accepted = await ipcB.accept(5001);
  await ipcA.send(connId, new TextEncoder().encode("hello"));
  assert.equal(new TextDecoder().decode(await ipcB.recv(accepted.connId) ?? new Uint8Array()), "hello");
  await ipcA.closeConnection(connId);

  const trustFile = JSON.parse(await Deno.readTextFile(`${b.pilotHome}/trust.json`));
  assert.ok(JSON.stringify(trustFile).includes(String(a.nodeId)), "B's trust.json records A");
  const mode = (await Deno.stat(`${b.pilotHome}/trust.json`)).mode ?? 0;
  assert.equal(mode & 0o777, 0o600);
});

Deno.test("trust: a private node refuses streams from an untrusted peer that knows its endpoint, and admits it after approve", async () => {
  const flags = ["-keepalive", "1s"];
  await using pub = await startDaemon({ flags: [...flags, "-public"] });
  await using priv = await startDaemon({
    registry: String(pub.ready.registry),
    beacon: String(pub.ready.beacon),
    flags,
  });
  await using ipcPub = await IpcClient.connect(pub.socket);
  await using ipcPriv = await IpcClient.connect(priv.socket);
  await ipcPriv.bind(5004);
  // The private node contacts the public one first, so the public node has a tunnel back to it.
  const out = await ipcPriv.dial(parseAddress(pub.address), 7);
  await ipcPriv.send(out, new TextEncoder().encode("hi"));
  await ipcPriv.recv(out);
  await ipcPriv.closeConnection(out);

  await assert.rejects(ipcPub.dial(parseAddress(priv.address), 5004), /connection refused/);

  await ipcPub.handshake({ sub: "request", nodeId: priv.nodeId, justification: "" });
  await priv.waitForLog((r) => r.msg === "event" && r.event === "handshake.pending", 15_000);
  await ipcPriv.handshake({ sub: "approve", nodeId: pub.nodeId });
  const connId = await ipcPub.dial(parseAddress(priv.address), 5004);
  const accepted = await ipcPriv.accept(5004);
  assert.equal(accepted.remoteAddress.node, pub.nodeId);
  await ipcPub.closeConnection(connId);
});
