import assert from "node:assert/strict";
import { startDaemon } from "./_helpers/daemon.ts";
import { exchange } from "./_helpers/ipc_exchange.ts";

Deno.test("tunnel: a peer restarted on the same port with new keys is re-keyed directly, not through the relay", async () => {
  const home = await Deno.makeTempDir({ prefix: "pd-rekey-" });
  try {
    await using a = await startDaemon({ flags: ["-public"] });
    const join = { registry: String(a.ready.registry), beacon: String(a.ready.beacon) };
    const b = await startDaemon({ ...join, home, flags: ["-public"] });
    await exchange(a, b, { port: 5006, bytes: 64 * 1024, timeoutMs: 15_000 });
    const tunnel = String(b.ready.tunnel);
    assert.equal(await b.stop(), 0, b.log());
    // B comes back on the same UDP port, identity and node id, but with a fresh tunnel key. A still holds
    // the old key and speaks first: B must get A to re-key rather than drop its frames.
    await using again = await startDaemon({ ...join, home, flags: ["-public", "-listen", tunnel] });
    assert.equal(again.nodeId, b.nodeId);
    await exchange(a, again, { port: 5006, bytes: 64 * 1024, timeoutMs: 20_000 });
    const relayed = again.log().includes('"event":"tunnel.relay_activated"');
    assert.equal(relayed, false, `the direct path recovered without the beacon relay\n${again.log()}`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("tunnel: a peer restarted on another port is found again through the registry, not the relay", async () => {
  const home = await Deno.makeTempDir({ prefix: "pd-moved-" });
  try {
    await using a = await startDaemon({ flags: ["-public"] });
    const join = { registry: String(a.ready.registry), beacon: String(a.ready.beacon) };
    const b = await startDaemon({ ...join, home, flags: ["-public"] });
    await exchange(a, b, { port: 5007, bytes: 64 * 1024, timeoutMs: 15_000 });
    assert.equal(await b.stop(), 0, b.log());
    await using again = await startDaemon({ ...join, home, flags: ["-public"] });
    assert.notEqual(String(again.ready.tunnel), String(b.ready.tunnel), "a new UDP port");
    await exchange(a, again, { port: 5007, bytes: 64 * 1024, timeoutMs: 30_000 });
    const relayed = again.log().includes('"event":"tunnel.relay_activated"');
    assert.equal(relayed, false, `A found B's new endpoint in the registry\n${a.log()}`);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
