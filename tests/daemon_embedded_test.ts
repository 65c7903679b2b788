import assert from "node:assert/strict";
import { loadIdentity } from "../lib/crypto/identity.ts";
import { lookup, RegistryClient } from "../lib/registry/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";

Deno.test("embedded default: a node with no registry runs one, and a second node joins it", async () => {
  await using first = await startDaemon();
  const registry = String(first.ready.registry);
  const beacon = String(first.ready.beacon);
  assert.match(registry, /^127\.0\.0\.1:\d+$/, first.log());
  assert.match(beacon, /^127\.0\.0\.1:\d+$/, first.log());
  await using second = await startDaemon({ registry, beacon });
  assert.notEqual(first.nodeId, second.nodeId);

  await using client = await RegistryClient.connect({ address: registry });
  for (const node of [first, second]) {
    const identity = await loadIdentity(`${node.pilotHome}/identity.key`);
    assert.ok(identity !== undefined, "the identity is saved in the pilot home");
    const record = await lookup(client, node.nodeId);
    assert.equal(record.address, node.address);
    assert.equal(record.publicKey, identity.publicKey.toBase64(), "the registry holds the node's own key");
  }
});

Deno.test("embedded default: a restart keeps the identity, the node id and the registry's records", async () => {
  const home = await Deno.makeTempDir({ prefix: "pd-restart-" });
  try {
    const first = await startDaemon({ home });
    const joined = await startDaemon({ registry: String(first.ready.registry) });
    assert.equal(joined.nodeId, first.nodeId + 1);
    assert.equal(await joined.stop(), 0, joined.log());
    assert.equal(await first.stop(), 0, first.log());

    await using again = await startDaemon({ home });
    assert.equal(again.nodeId, first.nodeId, again.log());
    assert.equal(again.address, first.address);
    // A registry that had lost its store would hand out the next id again; ours kept its counter.
    await using later = await startDaemon({ registry: String(again.ready.registry) });
    assert.equal(later.nodeId, joined.nodeId + 1, later.log());
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("embedded default: a busy default port moves the registry to the next free one", async () => {
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const taken = busy.addr.port;
  await using node = await startDaemon({ flags: ["-embedded-ports", `${taken},0`], registry: undefined });
  const port = Number(String(node.ready.registry).split(":")[1]);
  assert.ok(
    port > taken && port < taken + 64,
    `registry port ${port} follows the busy ${taken}\n${node.log()}`,
  );
});

Deno.test("daemon: an unreachable registry fails the start with status 1 and says why", async () => {
  using closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${closed.addr.port}`;
  closed.close();
  await assert.rejects(
    startDaemon({ registry: address, readyTimeoutMs: 15_000 }),
    /daemon start: registry dial: dial registry/,
  );
});

Deno.test("daemon: -registry-tls is refused with a clear reason instead of falling back to plaintext", async () => {
  await assert.rejects(
    startDaemon({ flags: ["-registry-tls"], readyTimeoutMs: 15_000 }),
    /daemon start: registry TLS is not supported by this daemon/,
  );
});
