import assert from "node:assert/strict";
import { IpcClient } from "../lib/ipc/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { exchange } from "./_helpers/ipc_exchange.ts";

Deno.test("relay: when the direct path is dead, the dial falls back to the beacon and the stream works", async () => {
  // A socket that is bound and never answers: B registers it as its endpoint, so A's direct SYNs vanish.
  const dead = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const deadPort = (dead.addr as Deno.NetAddr).port;
    await using a = await startDaemon({ flags: ["-public"] });
    await using b = await startDaemon({
      registry: String(a.ready.registry),
      beacon: String(a.ready.beacon),
      flags: ["-public", "-endpoint", `127.0.0.1:${deadPort}`],
    });
    // Three direct SYNs (0, 1, 3 s) go unanswered; the third timeout switches A to relay (§5.4).
    await exchange(a, b, { port: 5005, bytes: 1024 * 1024, timeoutMs: 30_000 });
    await b.waitForLog((r) => r.msg === "event" && r.event === "tunnel.relay_activated", 5_000);
  } finally {
    dead.close();
  }
});

Deno.test("trust: a restarted private node still trusts the peer it approved", async () => {
  const flags = ["-keepalive", "1s"];
  const home = await Deno.makeTempDir({ prefix: "pd-trust-" });
  try {
    await using a = await startDaemon({ flags });
    const join = { registry: String(a.ready.registry), beacon: String(a.ready.beacon), flags };
    const b = await startDaemon({ ...join, home });
    {
      await using ipcA = await IpcClient.connect(a.socket);
      await using ipcB = await IpcClient.connect(b.socket);
      await ipcA.handshake({ sub: "request", nodeId: b.nodeId, justification: "" });
      await b.waitForLog((r) => r.msg === "event" && r.event === "handshake.pending", 15_000);
      await ipcB.handshake({ sub: "approve", nodeId: a.nodeId });
    }
    assert.equal(await b.stop(), 0, b.log());
    await using again = await startDaemon({ ...join, home });
    assert.equal(again.nodeId, b.nodeId, "same identity, same node");
    await using ipc = await IpcClient.connect(again.socket);
    const trusted = await ipc.handshake({ sub: "trusted" });
    const list = Reflect.get(trusted as object, "trusted");
    assert.ok(Array.isArray(list) && list.some((t) => t.node_id === a.nodeId), JSON.stringify(trusted));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
