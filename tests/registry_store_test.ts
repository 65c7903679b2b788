// The KV store as the source of truth: restarts lose nothing, racing registrations get unique ids,
// racing hostname claims have exactly one winner, two registry processes on one KV file share state,
// stale nodes are reaped on short timers, and a reference snapshot imports.

import assert from "node:assert/strict";
import { CHALLENGES } from "../lib/registry/auth.ts";
import { RawClient, registerIdentity, startTestRegistry, testIdentity } from "../lib/registry/_testing.ts";
import { importSnapshot } from "../lib/registry/snapshot.ts";
import { RegistryStore } from "../lib/registry/store.ts";

Deno.test("registry store: everything acknowledged survives closing and reopening the registry", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  try {
    const a = testIdentity(21);
    const b = testIdentity(22);
    let idA: number;
    let idB: number;
    {
      await using registry = await startTestRegistry({ dir });
      using c = await RawClient.connect(registry.port);
      idA = await registerIdentity(c, a, { owner: "o@x" });
      idB = await registerIdentity(c, b);
      await c.request({
        type: "set_hostname",
        node_id: idA,
        hostname: "alpha",
        signature: a.sign(CHALLENGES.setHostname(idA)),
      });
      await c.request({
        type: "set_tags",
        node_id: idA,
        tags: ["gpu"],
        signature: a.sign(CHALLENGES.setTags(idA)),
      });
      await c.request({
        type: "report_trust",
        node_id: idA,
        peer_id: idB,
        signature: a.sign(CHALLENGES.reportTrust(idA, idB)),
      });
      await c.request({
        type: "request_handshake",
        from_node_id: idB,
        to_node_id: idA,
        justification: "j",
        signature: b.sign(CHALLENGES.handshake(idB, idA)),
      });
      await c.request({ type: "deregister", node_id: idB, signature: b.sign(CHALLENGES.deregister(idB)) });
    }
    await using registry = await startTestRegistry({ dir });
    using c = await RawClient.connect(registry.port);
    const look = await c.request({ type: "lookup", node_id: idA });
    assert.equal(look.hostname, "alpha");
    assert.deepEqual(look.tags, ["gpu"]);
    assert.equal((await c.request({ type: "resolve_hostname", hostname: "alpha" })).node_id, idA);
    assert.equal(await registerIdentity(c, b), idB, "the key index survived the restart");
    assert.equal(await registerIdentity(c, testIdentity(23)), idB + 1, "the id counter survived");
    const resolve = await c.request({
      type: "resolve",
      node_id: idA,
      requester_id: idB,
      signature: b.sign(CHALLENGES.resolve(idB, idA)),
    });
    assert.equal(resolve.type, "resolve_ok", "the trust pair survived");
    const polled = await c.request({
      type: "poll_handshakes",
      node_id: idA,
      signature: a.sign(CHALLENGES.pollHandshakes(idA)),
    });
    assert.ok(Array.isArray(polled.requests) && polled.requests.length === 1, "the inbox survived");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry store: 200 concurrent registrations on 200 connections get 200 unique ids", async () => {
  await using registry = await startTestRegistry({ rateLimit: { capacity: 1000 } });
  const clients = await Promise.all(Array.from({ length: 200 }, () => RawClient.connect(registry.port)));
  try {
    const ids = await Promise.all(clients.map((c, i) => registerIdentity(c, testIdentity(3 + i * 256))));
    assert.equal(new Set(ids).size, 200);
    assert.deepEqual([...ids].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i + 1));
  } finally {
    for (const c of clients) c.close();
  }
});

Deno.test("registry store: two registries on one KV file share ids and hostnames under racing claims", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  try {
    const cap = { rateLimit: { capacity: 1000 } };
    await using one = await startTestRegistry({ dir, ...cap });
    await using two = await startTestRegistry({ dir, ...cap });
    const identities = Array.from({ length: 20 }, (_, i) => testIdentity(5 + i * 256));
    const clients = await Promise.all(
      identities.map((_, i) => RawClient.connect(i % 2 === 0 ? one.port : two.port)),
    );
    try {
      const ids = await Promise.all(clients.map((c, i) => registerIdentity(c, identities[i])));
      assert.equal(new Set(ids).size, 20, "ids unique across both processes' handles");
      const replies = await Promise.all(
        clients.map((c, i) =>
          c.request({
            type: "set_hostname",
            node_id: ids[i],
            hostname: "contested",
            signature: identities[i].sign(CHALLENGES.setHostname(ids[i])),
          })
        ),
      );
      const winners = replies.filter((r) => r.type === "set_hostname_ok");
      assert.equal(winners.length, 1, JSON.stringify(replies));
      const holder = await clients[0].request({ type: "resolve_hostname", hostname: "contested" });
      assert.equal(holder.node_id, winners[0].node_id);
      const viaOther = await clients[1].request({ type: "resolve_hostname", hostname: "contested" });
      assert.equal(viaOther.node_id, winners[0].node_id, "the other process sees the same owner");
    } finally {
      for (const c of clients) c.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry store: a silent node is reaped by the maintenance tick and its hostname freed", async () => {
  await using registry = await startTestRegistry({ staleNodeMs: 150, maintenanceIntervalMs: 40 });
  using c = await RawClient.connect(registry.port);
  const quiet = testIdentity(31);
  const busy = testIdentity(32);
  const idQuiet = await registerIdentity(c, quiet, { hostname: "quiet" });
  const idBusy = await registerIdentity(c, busy);
  // Keep one node alive with heartbeats until the other is reaped.
  const reaped = registry.waitForLog("node reaped", (r) => r.attrs.node_id === idQuiet, 5000);
  let done = false;
  reaped.finally(() => (done = true)).catch(() => {});
  const beat = { type: "heartbeat", node_id: idBusy, signature: busy.sign(CHALLENGES.heartbeat(idBusy)) };
  for (let i = 0; !done && i < 1_000_000; i++) {
    assert.equal((await c.request(beat)).type, "heartbeat_ok", "the busy node is never reaped");
  }
  await reaped;
  assert.equal((await c.request({ type: "lookup", node_id: idQuiet })).type, "error");
  assert.equal((await c.request({ type: "lookup", node_id: idBusy })).type, "lookup_ok");
  assert.equal((await c.request({ type: "resolve_hostname", hostname: "quiet" })).type, "error");
  assert.equal(await registerIdentity(c, quiet), idQuiet, "the key index outlives reaping");
});

Deno.test("registry store: a reference snapshot imports nodes, indexes, trust and inboxes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  try {
    const k1 = testIdentity(41).publicKey;
    const k2 = testIdentity(42).publicKey;
    const snapshot = JSON.stringify({
      next_node: 3,
      next_net: 1,
      nodes: {
        "2": {
          id: 2,
          owner: "o@x",
          public_key: k2,
          real_addr: "127.0.0.1:33752",
          networks: [0],
          public: true,
          last_seen: "2026-11-24T18:33:18Z",
          hostname: "beta",
          tags: ["gpu"],
          polo_score: 5,
          task_exec: true,
        },
        "9": { id: 9, public_key: "not-a-key" },
      },
      networks: {
        "0": { id: 0, name: "backbone", join_rule: "open", members: [2], created: "2026-11-24T18:31:56Z" },
      },
      trust_pairs: ["1:2"],
      pub_key_idx: { [k1]: 1, [k2]: 2 },
      handshake_inbox: {
        "2": [{ from_node_id: 3, justification: "hi", timestamp: "2026-11-24T18:36:08.825937662Z" }],
        "x": [],
      },
      handshake_responses: {
        "3": [{ from_node_id: 2, accept: false, timestamp: "2026-11-24T18:36:08.826904457Z" }],
      },
    });
    const store = await RegistryStore.open(`${dir}/registry.kv`);
    const result = await importSnapshot(store, snapshot, Date.now());
    store.close();
    assert.deepEqual(result, {
      nodes: 1,
      skippedNodes: 1,
      trustPairs: 1,
      requests: 1,
      responses: 1,
      nextNode: 3,
    });
    await using registry = await startTestRegistry({ dir });
    using c = await RawClient.connect(registry.port);
    const look = await c.request({ type: "lookup", node_id: 2 });
    assert.deepEqual(look, {
      address: "0:0000.0000.0002",
      hostname: "beta",
      networks: [0],
      node_id: 2,
      polo_score: 5,
      public: true,
      public_key: k2,
      real_addr: "127.0.0.1:33752",
      tags: ["gpu"],
      task_exec: true,
      type: "lookup_ok",
    });
    assert.equal(await registerIdentity(c, testIdentity(41)), 1, "key index entry of a departed node kept");
    assert.equal(await registerIdentity(c, testIdentity(43)), 3, "counter restored");
    await assert.rejects(importSnapshot(registry.store, "[1]", 0), { code: "store_snapshot_invalid" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
