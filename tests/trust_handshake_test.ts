/**
 * The trust state machine end to end between two TrustManagers (control.md §7.4, §7.5, §12.6, §12.7), wired
 * through their port-444 callbacks and a minimal registry double (see lib/trust/_test_network.ts for why a
 * double is acceptable here). Files are real: trust.json lives in a temp dir.
 */

import assert from "node:assert/strict";
import { capturedIdentities } from "../lib/trust/_test_vectors.ts";
import { TestNetwork } from "../lib/trust/_test_network.ts";
import type { TestNode } from "../lib/trust/_test_network.ts";
import { TrustManager, TrustStore } from "../lib/trust/mod.ts";

async function setup(options: { public?: boolean; files?: boolean } = {}) {
  const { a: idA, b: idB } = await capturedIdentities();
  const dir = options.files === true ? await Deno.makeTempDir({ prefix: "trust-e2e-" }) : undefined;
  const net = new TestNetwork();
  const a = await net.add(idA, { public: options.public, path: dir && `${dir}/a/trust.json` });
  const b = await net.add(idB, { public: options.public, path: dir && `${dir}/b/trust.json` });
  return {
    net,
    a,
    b,
    idA,
    idB,
    dir,
    async [Symbol.asyncDispose]() {
      await net.close();
      if (dir !== undefined) await Deno.remove(dir, { recursive: true });
    },
  };
}

const eventNames = (node: TestNode) => node.events.map(([name]) => name);

Deno.test("trust e2e: direct request, pending, approve: both sides trust each other (§12.7, public nodes)", async () => {
  await using t = await setup({ public: true, files: true });
  const { net, a, b, idA, idB } = t;

  assert.deepEqual(await a.manager.request(2, "direct hello"), { node_id: 2, status: "sent" });
  assert.deepEqual(a.sent, [{ handled: true, type: "handshake_request", peer: 1, action: "pending" }]);
  assert.deepEqual(b.events, [
    ["handshake.received", { peer_node_id: 1, justification: "direct hello" }],
    ["handshake.pending", { peer_node_id: 1, justification: "direct hello" }],
  ]);
  assert.deepEqual(b.manager.pendingReply(), {
    pending: [{
      justification: "direct hello",
      node_id: 1,
      public_key: idA.publicKey,
      received_at: 1795546149,
    }],
  });
  assert.equal(b.manager.isTrusted(1), false);

  net.clock += 1000;
  assert.deepEqual(await b.manager.approve(1), { node_id: 1, status: "approved" });
  await net.idle();
  assert.deepEqual(b.sent, [{ handled: true, type: "handshake_accept", peer: 2, action: "trusted" }]);
  // The shapes of the captured IPC replies (ipc.json, public_nodes_run).
  assert.deepEqual(a.manager.trustedReply(), {
    trusted: [{ approved_at: 1795546150, mutual: true, network: 0, node_id: 2, public_key: idB.publicKey }],
  });
  assert.deepEqual(b.manager.trustedReply(), {
    trusted: [{ approved_at: 1795546150, mutual: false, network: 0, node_id: 1, public_key: idA.publicKey }],
  });
  assert.deepEqual(b.manager.pendingReply(), { pending: [] });
  assert.deepEqual(eventNames(b).slice(2), ["handshake.approved"]);
  assert.equal(net.registry.trusts(1, 2), true);
  assert.ok(net.registry.calls.includes("report_trust 2 1"));
  assert.ok(net.registry.calls.includes("respond_handshake 2 1 true"));
  assert.ok(net.registry.calls.includes("report_trust 1 2"));

  // Both files hold the peer, in the reference layout, mode 0600.
  for (const [node, peer, mutual] of [[a, 2, true], [b, 1, false]] as const) {
    const path = node.store.path ?? "";
    const text = await Deno.readTextFile(path);
    assert.match(text, new RegExp(`^\\{\\n  "trusted": \\[\\n    \\{\\n      "node_id": ${peer},\\n`));
    assert.match(
      text,
      new RegExp(`"mutual": ${mutual}\\n    \\}\\n  \\]\\n\\}$`),
      "no pending member, no newline",
    );
    assert.equal(((await Deno.stat(path)).mode ?? 0) & 0o777, 0o600);
  }
});

Deno.test("trust e2e: relayed path between private nodes ends as observed in §7.5", async () => {
  await using t = await setup();
  const { net, a, b, idB } = t;

  assert.deepEqual(await a.manager.request(2, "want to collaborate"), { node_id: 2, status: "sent" });
  assert.deepEqual(a.sent, [], "resolve of a private node is denied, nothing went direct");
  assert.ok(net.registry.calls.includes("request_handshake 1 2"));

  await b.manager.pollRelayed();
  assert.deepEqual(b.manager.pendingReply(), {
    pending: [{ justification: "want to collaborate", node_id: 1, public_key: "", received_at: 1795546149 }],
  });
  // Unlike the reference (§7.5 quirk), a relayed request is announced like a direct one.
  assert.deepEqual(b.events, [
    ["handshake.received", { justification: "want to collaborate", peer_node_id: 1 }],
    ["handshake.pending", { justification: "want to collaborate", peer_node_id: 1 }],
  ]);

  await b.manager.approve(1);
  await net.idle();
  // report_trust went first, so B could resolve A and deliver the accept directly.
  assert.deepEqual(b.sent.map((o) => o.handled && o.action), ["trusted"]);
  await a.manager.pollRelayed(); // the relayed acceptance: already trusted, nothing more
  await net.idle();
  assert.deepEqual(a.manager.trustedReply().trusted.map((x) => [x.node_id, x.mutual, x.public_key]), [
    [2, true, idB.publicKey],
  ]);
  assert.deepEqual(b.manager.trustedReply().trusted.map((x) => [x.node_id, x.mutual, x.public_key]), [
    [1, false, ""],
  ]);
});

Deno.test("trust e2e: a relayed acceptance trusts the asker and backfills the key from the registry", async () => {
  await using t = await setup();
  const { net, a, b, idB } = t;
  net.unreachable.add(1); // B's accept cannot reach A directly either
  await a.manager.request(2, "relay only");
  await b.manager.pollRelayed();
  await b.manager.approve(1);
  await net.idle();
  assert.equal(a.manager.isTrusted(2), false);
  await a.manager.pollRelayed();
  await net.idle();
  assert.deepEqual(a.store.trusted(2), {
    nodeId: 2,
    publicKey: idB.publicKey,
    approvedAt: 1795546149,
    mutual: true,
    network: 0,
  });
});

Deno.test("trust e2e: both sides asking auto-approves mutually", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  net.unreachable.add(2);
  await a.manager.request(2, "a asks"); // relayed: B is unreachable for now
  net.unreachable.delete(2);
  await b.manager.request(1, "b asks");
  await net.idle();
  assert.deepEqual(b.sent.map((o) => o.handled && o.action), ["auto_approved"]);
  assert.deepEqual(a.sent.map((o) => o.handled && o.action), ["trusted"], "A's accept answered B's request");
  assert.deepEqual(a.events, [
    ["handshake.received", { peer_node_id: 2, justification: "b asks" }],
    ["handshake.auto_approved", { peer_node_id: 2, reason: "mutual" }],
  ]);
  assert.equal(a.store.trusted(2)?.mutual, true);
  assert.equal(b.store.trusted(1)?.mutual, true);
  assert.equal(a.store.hasOutgoing(2) || b.store.hasOutgoing(1), false);
  // B's relayed copy of A's request arrives later: B already trusts A and only answers it.
  await b.manager.pollRelayed();
  await net.idle();
  assert.ok(net.registry.calls.includes("respond_handshake 2 1 true"));
  assert.deepEqual(b.manager.pendingReply(), { pending: [] });
});

Deno.test("trust e2e: a request to a trusted peer is answered with an accept", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  await a.manager.request(2, "first");
  await b.manager.approve(1);
  await net.idle();
  // A forgets B (say, its trust.json was removed) and asks again: B answers by itself.
  a.store.remove(2);
  net.clock += 1000; // within the same second B's accept would be byte-identical: a replay
  await a.manager.request(2, "again");
  await net.idle();
  assert.deepEqual(a.sent.map((o) => o.handled && o.action), ["pending", "already_trusted"]);
  assert.equal(a.manager.isTrusted(2), true);
});

Deno.test("trust e2e: a request to an already trusted peer reports sent and sends nothing", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  await a.manager.request(2);
  await b.manager.approve(1);
  await net.idle();
  const calls = net.registry.calls.length;
  assert.deepEqual(await a.manager.request(2, "again"), { node_id: 2, status: "sent" });
  assert.equal(a.sent.length, 1);
  assert.equal(net.registry.calls.length, calls);
});

Deno.test("trust e2e: reject drops the pending request and clears the asker's outgoing flag", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  await a.manager.request(2, "please");
  assert.equal(a.store.hasOutgoing(2), true);
  assert.deepEqual(await b.manager.reject(1, "no thanks"), { node_id: 1, status: "rejected" });
  await net.idle();
  assert.deepEqual(b.manager.pendingReply(), { pending: [] });
  assert.deepEqual(b.events.at(-1), ["handshake.rejected", { peer_node_id: 1, reason: "no thanks" }]);
  assert.deepEqual(b.sent.map((o) => o.handled && o.action), ["outgoing_cleared"]);
  assert.equal(a.store.hasOutgoing(2), false);
  assert.equal(a.manager.isTrusted(2) || b.manager.isTrusted(1), false);
  assert.ok(net.registry.calls.includes("respond_handshake 2 1 false"));
  // Rejecting nothing still succeeds, as in the reference.
  assert.deepEqual(await b.manager.reject(77), { node_id: 77, status: "rejected" });
});

Deno.test("trust e2e: untrust removes trust on both sides and at the registry", async () => {
  await using t = await setup({ public: true, files: true });
  const { net, a, b } = t;
  await a.manager.request(2, "hello");
  await b.manager.approve(1);
  await net.idle();
  assert.equal(net.registry.trusts(1, 2), true);

  assert.deepEqual(await a.manager.revoke(2), { node_id: 2, status: "revoked" });
  assert.equal(a.manager.isTrusted(2), false, "at once, before any background work");
  await net.idle();
  assert.deepEqual(a.sent.map((o) => o.handled && o.action), ["pending", "revoked"]);
  assert.equal(b.manager.isTrusted(1), false);
  assert.equal(net.registry.trusts(1, 2), false);
  assert.deepEqual(a.events.at(-1), ["trust.revoked", { peer_node_id: 2 }]);
  assert.deepEqual(b.events.at(-1), ["trust.revoked_by_peer", { peer_node_id: 1 }]);
  assert.deepEqual([a.dropped, b.dropped], [[2], [1]]);
  // B's own revoke_trust finds no pair any more and fails quietly, as captured.
  assert.ok(net.registry.calls.includes("revoke_trust 2 1"));
  for (const node of [a, b]) {
    assert.equal(await Deno.readTextFile(node.store.path ?? ""), '{\n  "trusted": null\n}');
  }
  await assert.rejects(a.manager.revoke(2), { code: "not_found", message: "node 2 was not trusted" });
});

Deno.test("trust e2e: a restarted node reads its trust back from trust.json", async () => {
  await using t = await setup({ public: true, files: true });
  const { net, a, b, idA } = t;
  await a.manager.request(2, "hello");
  await b.manager.approve(1);
  await a.manager.request(2); // already trusted: nothing changes
  await net.idle();
  const path = a.store.path ?? "";
  const store = await TrustStore.open(path);
  await using restarted = new TrustManager({
    store,
    registry: net.registry.client(),
    signer: idA.signer,
    ownNodeId: () => 1,
    now: () => net.clock,
    emit: () => {},
    sendToPeer: () => Promise.reject(new Error("offline")),
  });
  assert.equal(restarted.isTrusted(2), true);
  assert.equal(restarted.admits(2) && restarted.admits(1) && !restarted.admits(3), true);
  assert.deepEqual(restarted.trustedReply(), a.manager.trustedReply());
  // Re-registration re-reports every trusted peer (§4.4).
  const before = net.registry.calls.filter((c) => c === "report_trust 1 2").length;
  await restarted.reportAllTrusted();
  assert.equal(net.registry.calls.filter((c) => c === "report_trust 1 2").length, before + 1);
});

Deno.test("trust e2e: when the direct path and the relay both fail, request fails with handshake relay", async () => {
  await using t = await setup();
  const { net, a } = t;
  net.registry.down = true;
  await assert.rejects(a.manager.request(2, "x"), {
    code: "connection_failed",
    message: "handshake relay: registry: send failed and reconnect failed",
  });
  await assert.rejects(a.manager.request(1), { code: "invalid_argument" });
  await assert.rejects(a.manager.request(0), { code: "invalid_argument" });
  await assert.rejects(a.manager.approve(2 ** 32), { code: "invalid_argument" });
});

Deno.test("trust e2e: approve with nothing pending succeeds and changes nothing", async () => {
  await using t = await setup({ public: true });
  const { net, b } = t;
  assert.deepEqual(await b.manager.approve(77), { node_id: 77, status: "approved" });
  assert.equal(b.manager.isTrusted(77), false);
  assert.deepEqual(net.registry.calls, []);
});

Deno.test("trust e2e: an accept nobody asked for is dropped, direct or relayed", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  // B fakes an approval of a request A never sent: B has a pending entry only in its own mind.
  b.store.putPending({ nodeId: 1, publicKey: "", justification: "", receivedAt: 0 });
  await b.manager.approve(1);
  await net.idle();
  assert.deepEqual(b.sent.map((o) => o.handled ? o.action : o.reason), ["unsolicited"]);
  await a.manager.pollRelayed();
  assert.equal(a.manager.isTrusted(2), false);
  assert.equal(a.manager.dropCounts().unsolicited, 2);
});

Deno.test("trust e2e: peers sharing a non-backbone network are auto-approved", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  net.registry.networks.set(1, [0, 7]);
  net.registry.networks.set(2, [0, 7]);
  await a.manager.request(2, "same network");
  await net.idle();
  assert.deepEqual(a.sent.map((o) => o.handled && o.action), ["auto_approved"]);
  assert.deepEqual(
    b.sent.map((o) => o.handled && o.action),
    ["trusted"],
    "B's accept reached A, which had asked",
  );
  assert.deepEqual(b.events.at(-1), ["handshake.auto_approved", { peer_node_id: 1, reason: "same_network" }]);
  assert.equal(b.store.trusted(1)?.network, 7);
  assert.equal(a.store.trusted(2)?.mutual, true);
});

Deno.test("trust e2e: a revoke from a peer that was only pending drops the request and tells nobody", async () => {
  await using t = await setup({ public: true });
  const { net, a, b } = t;
  await a.manager.request(2, "hello");
  // A gives up before B answered: a revoke needs trust on A's side, so it fails there...
  await assert.rejects(a.manager.revoke(2), { code: "not_found" });
  assert.equal(a.store.hasOutgoing(2), false, "...but the outgoing flag is gone all the same");
  assert.deepEqual(b.manager.pendingReply().pending.map((p) => p.node_id), [1]);
  await net.idle();
  assert.equal(net.registry.calls.some((c) => c.startsWith("revoke_trust")), false);
});
