// Behaviour of each message type beyond the captured sessions: signatures, validation, identity
// reclaim, the signed polo-score deviation, beacons, networks and replication refusal. Real TCP on
// 127.0.0.1 port 0, a real KV file per test.

import assert from "node:assert/strict";
import { CHALLENGES } from "../lib/registry/auth.ts";
import { RawClient, registerIdentity, startTestRegistry, testIdentity } from "../lib/registry/_testing.ts";
import { encodeRegistryFrame } from "../lib/registry/messages.ts";

const FAILED = { error: "request failed", type: "error" };

Deno.test("registry server: a signature made with another node's key is rejected and logged", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(1);
  const b = testIdentity(2);
  const idA = await registerIdentity(c, a);
  await registerIdentity(c, b);
  assert.deepEqual(
    await c.request({ type: "heartbeat", node_id: idA, signature: b.sign(CHALLENGES.heartbeat(idA)) }),
    FAILED,
  );
  assert.deepEqual(
    await c.request({ type: "heartbeat", node_id: idA, signature: a.sign("heartbeat:99") }),
    FAILED,
  );
  assert.deepEqual(await c.request({ type: "heartbeat", node_id: idA }), FAILED);
  assert.deepEqual(await c.request({ type: "heartbeat", node_id: idA, signature: "%%%" }), FAILED);
  const ok = await c.request({
    type: "heartbeat",
    node_id: idA,
    signature: a.sign(CHALLENGES.heartbeat(idA)),
  });
  assert.equal(ok.type, "heartbeat_ok");
  assert.equal(typeof ok.time, "number");
  const reasons = registry.records.filter((r) => r.msg === "request failed").map((r) => r.attrs.reason);
  assert.deepEqual(reasons, [
    "signature verification failed",
    "signature verification failed",
    "signature required for authenticated node",
    "invalid signature encoding",
  ]);
});

Deno.test("registry server: register reclaims ids by key and by owner and resets a departed node", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(3);
  const id = await registerIdentity(c, a, { owner: "alice@example.com" });
  const sig = (t: string) => a.sign(t);
  await c.request({
    type: "set_visibility",
    node_id: id,
    public: true,
    signature: sig(CHALLENGES.setVisibility(id)),
  });
  await c.request({
    type: "set_polo_score",
    node_id: id,
    polo_score: 7,
    signature: sig(CHALLENGES.setPoloScore(id, 7)),
  });
  assert.equal(await registerIdentity(c, a), id, "same key, alive: same id");
  let look = await c.request({ type: "lookup", node_id: id });
  assert.equal(look.public, true);
  assert.equal(look.polo_score, 7);
  assert.equal(look.real_addr, "127.0.0.1:4000");
  assert.deepEqual(
    await c.request({ type: "deregister", node_id: id, signature: sig(CHALLENGES.deregister(id)) }),
    {
      type: "deregister_ok",
    },
  );
  assert.equal(await registerIdentity(c, a), id, "same key after deregister: same id");
  look = await c.request({ type: "lookup", node_id: id });
  assert.equal(look.public, false, "attributes reset (§3.9, observed)");
  assert.equal(look.polo_score, 0);
  const fresh = testIdentity(4);
  assert.equal(
    await registerIdentity(c, fresh, { owner: "alice@example.com" }),
    id,
    "owner reclaim with a new key",
  );
  look = await c.request({ type: "lookup", node_id: id });
  assert.equal(look.public_key, fresh.publicKey);
  assert.equal(await registerIdentity(c, testIdentity(5)), id + 1, "a new key gets the next id");
});

Deno.test("registry server: register applies a free valid hostname and reports an invalid one", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const first = await c.request({
    type: "register",
    public_key: testIdentity(6).publicKey,
    hostname: "gamma",
  });
  assert.equal(first.hostname, "gamma");
  const taken = await c.request({
    type: "register",
    public_key: testIdentity(7).publicKey,
    hostname: "gamma",
  });
  assert.equal(taken.hostname, undefined, "held by another node: silently not applied");
  assert.equal(taken.hostname_error, undefined);
  const bad = await c.request({
    type: "register",
    public_key: testIdentity(8).publicKey,
    listen_addr: "10.9.9.9:4000",
    hostname: "Bad_Name",
  });
  assert.equal(
    bad.hostname_error,
    "hostname must be lowercase alphanumeric with hyphens, start/end with alphanumeric",
  );
  assert.equal(bad.type, "register_ok");
  // The registry keeps only the port of listen_addr; the IP is the TCP source (§3.7.1).
  const id = Number(bad.node_id);
  const signer = testIdentity(8);
  await c.request({
    type: "set_visibility",
    node_id: id,
    public: true,
    signature: signer.sign(CHALLENGES.setVisibility(id)),
  });
  assert.equal((await c.request({ type: "lookup", node_id: id })).real_addr, "127.0.0.1:4000");
  assert.deepEqual(await c.request({ type: "register" }), FAILED);
  assert.deepEqual(await c.request({ type: "register", public_key: "AAAA" }), FAILED);
});

Deno.test("registry server: hostnames, tags and task execution change only with the node's signature", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(9);
  const id = await registerIdentity(c, a);
  const hs = a.sign(CHALLENGES.setHostname(id));
  assert.deepEqual(await c.request({ type: "set_hostname", node_id: id, hostname: "alpha", signature: hs }), {
    hostname: "alpha",
    node_id: id,
    type: "set_hostname_ok",
  });
  assert.deepEqual(
    await c.request({ type: "set_hostname", node_id: id, hostname: "backbone", signature: hs }),
    FAILED,
  );
  assert.deepEqual(await c.request({ type: "resolve_hostname", hostname: "nosuch" }), FAILED);
  assert.equal((await c.request({ type: "resolve_hostname", hostname: "alpha" })).node_id, id);
  const ts = a.sign(CHALLENGES.setTags(id));
  assert.deepEqual(
    (await c.request({ type: "set_tags", node_id: id, tags: ["#gpu", "web-server", 5], signature: ts })).tags,
    [
      "gpu",
      "web-server",
    ],
  );
  assert.equal((await c.request({ type: "set_tags", node_id: id, tags: "nope", signature: ts })).tags, null);
  assert.deepEqual(
    await c.request({ type: "set_tags", node_id: id, tags: ["UPPER"], signature: ts }),
    FAILED,
  );
  const te = a.sign(CHALLENGES.setTaskExec(id));
  assert.equal(
    (await c.request({ type: "set_task_exec", node_id: id, enabled: true, signature: te })).task_exec,
    true,
  );
  const look = await c.request({ type: "lookup", node_id: id });
  assert.equal(look.task_exec, true);
  assert.equal(look.tags, undefined);
  assert.deepEqual(await c.request({ type: "set_hostname", node_id: id, hostname: "", signature: hs }), {
    hostname: "",
    node_id: id,
    type: "set_hostname_ok",
  });
  assert.deepEqual(
    await c.request({ type: "resolve_hostname", hostname: "alpha" }),
    FAILED,
    "cleared name is free",
  );
});

Deno.test("registry server: polo score updates need the node's own signature over the value (our deviation)", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(10);
  const b = testIdentity(11);
  const id = await registerIdentity(c, a);
  await registerIdentity(c, b);
  assert.deepEqual(await c.request({ type: "update_polo_score", node_id: id, delta: 5 }), FAILED, "unsigned");
  assert.deepEqual(
    await c.request({
      type: "update_polo_score",
      node_id: id,
      delta: 5,
      signature: b.sign(CHALLENGES.updatePoloScore(id, 5)),
    }),
    FAILED,
    "signed by another node",
  );
  assert.deepEqual(
    await c.request({
      type: "update_polo_score",
      node_id: id,
      delta: 6,
      signature: a.sign(CHALLENGES.updatePoloScore(id, 5)),
    }),
    FAILED,
    "signature over another delta",
  );
  const up = await c.request({
    type: "update_polo_score",
    node_id: id,
    delta: 5.9,
    signature: a.sign("update_polo_score:" + id + ":5"),
  });
  assert.deepEqual(up, {
    address: "0:0000.0000.0001",
    node_id: id,
    polo_score: 5,
    type: "update_polo_score_ok",
  });
  const set = await c.request({
    type: "set_polo_score",
    node_id: id,
    polo_score: -1000000,
    signature: a.sign(`set_polo_score:${id}:-1000000`),
  });
  assert.equal(set.polo_score, -1000000);
  assert.deepEqual(await c.request({ type: "update_polo_score", node_id: id }), FAILED, "delta required");
  assert.equal(
    (await c.request({ type: "get_polo_score", node_id: id })).polo_score,
    -1000000,
    "get stays open",
  );
  assert.deepEqual(await c.request({ type: "get_polo_score", node_id: 77 }), FAILED);
});

Deno.test("registry server: handshake relay, trust, resolve and punch follow §3.7.5–§3.7.16", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(12);
  const b = testIdentity(13);
  const idA = await registerIdentity(c, a);
  const idB = await registerIdentity(c, b);
  const resolveAB = {
    type: "resolve",
    node_id: idB,
    requester_id: idA,
    signature: a.sign(CHALLENGES.resolve(idA, idB)),
  };
  assert.deepEqual(await c.request(resolveAB), FAILED, "private target without trust");
  assert.deepEqual(await c.request({ ...resolveAB, requester_id: 99 }), FAILED, "unknown requester");
  const hsReq = {
    type: "request_handshake",
    from_node_id: idA,
    to_node_id: idB,
    justification: "hi <&>",
    signature: a.sign(CHALLENGES.handshake(idA, idB)),
  };
  assert.deepEqual(await c.request(hsReq), { status: "delivered", type: "request_handshake_ok" });
  assert.deepEqual(await c.request(hsReq), FAILED, "already pending");
  const pollB = { type: "poll_handshakes", node_id: idB, signature: b.sign(CHALLENGES.pollHandshakes(idB)) };
  const polled = await c.request(pollB);
  assert.ok(Array.isArray(polled.requests) && polled.requests.length === 1);
  assert.deepEqual({ ...polled.requests[0], timestamp: 0 }, {
    from_node_id: idA,
    justification: "hi <&>",
    timestamp: 0,
  });
  assert.deepEqual((await c.request(pollB)).requests, [], "drained");
  const respond = {
    type: "respond_handshake",
    node_id: idB,
    peer_id: idA,
    accept: true,
    signature: b.sign(CHALLENGES.respond(idB, idA)),
  };
  assert.deepEqual(await c.request(respond), { accept: true, peer_id: idA, type: "respond_handshake_ok" });
  const pollA = await c.request({
    type: "poll_handshakes",
    node_id: idA,
    signature: a.sign(CHALLENGES.pollHandshakes(idA)),
  });
  assert.ok(Array.isArray(pollA.responses) && pollA.responses.length === 1);
  assert.deepEqual(await c.request(resolveAB), {
    node_id: idB,
    real_addr: "127.0.0.1:4000",
    type: "resolve_ok",
  });
  const punch = {
    type: "punch",
    requester_id: idA,
    node_a: idA,
    node_b: idB,
    signature: a.sign(CHALLENGES.punch(idA, idB)),
  };
  assert.equal((await c.request(punch)).node_b_addr, "127.0.0.1:4000");
  assert.deepEqual(await c.request({ ...punch, requester_id: idB }), FAILED, "signature is the requester's");
  const revoke = {
    type: "revoke_trust",
    node_id: idA,
    peer_id: idB,
    signature: a.sign(CHALLENGES.revokeTrust(idA, idB)),
  };
  assert.deepEqual(await c.request(revoke), { type: "revoke_trust_ok" });
  assert.deepEqual(await c.request(revoke), FAILED, "no pair left");
  assert.deepEqual(await c.request(resolveAB), FAILED);
});

Deno.test("registry server: the handshake inbox holds at most 100 requests per target", async () => {
  await using registry = await startTestRegistry({ rateLimit: { capacity: 1000 } });
  using c = await RawClient.connect(registry.port);
  const target = testIdentity(14);
  const idT = await registerIdentity(c, target);
  for (let i = 0; i < 101; i++) {
    const s = testIdentity(1000 + i * 256);
    const id = await registerIdentity(c, s);
    const reply = await c.request({
      type: "request_handshake",
      from_node_id: id,
      to_node_id: idT,
      justification: "",
      signature: s.sign(CHALLENGES.handshake(id, idT)),
    });
    assert.equal(reply.type, i < 100 ? "request_handshake_ok" : "error", `request ${i}`);
  }
  assert.ok(registry.records.some((r) => r.attrs.reason === `handshake inbox full for node ${idT}`));
});

Deno.test("registry server: beacons, networks and replication answer as a backbone-only reference", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  assert.deepEqual(await c.request({ type: "beacon_register", beacon_id: 5, addr: "127.0.0.1:9001" }), {
    beacon_id: 5,
    type: "beacon_register_ok",
  });
  assert.deepEqual(await c.request({ type: "beacon_register", addr: "x" }), FAILED);
  assert.deepEqual(await c.request({ type: "beacon_list" }), {
    beacons: [{ addr: "127.0.0.1:9001", id: 5 }],
    type: "beacon_list_ok",
  });
  await registerIdentity(c, testIdentity(15));
  assert.deepEqual(await c.request({ type: "list_networks" }), {
    networks: [{ id: 0, join_rule: "open", members: 1, name: "backbone" }],
    type: "list_networks_ok",
  });
  for (const type of ["list_nodes", "create_network", "join_network", "leave_network", "rotate_key"]) {
    assert.deepEqual(await c.request({ type, network_id: 0 }), FAILED, type);
  }
  assert.deepEqual(await c.request({ type: "subscribe_replication", token: "t" }), {
    error: "replication not configured",
    type: "error",
  });
  assert.equal(await c.closedByServer(), true, "the registry closes after the refusal");
});

Deno.test("registry server: rotate_key moves the key index to the new key", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(16);
  const next = testIdentity(17);
  const id = await registerIdentity(c, a);
  assert.deepEqual(
    await c.request({ type: "rotate_key", node_id: id, new_public_key: next.publicKey }),
    FAILED,
    "unsigned",
  );
  const reply = await c.request({
    type: "rotate_key",
    node_id: id,
    new_public_key: next.publicKey,
    signature: a.sign(CHALLENGES.rotate(id)),
  });
  assert.deepEqual(reply, {
    address: "0:0000.0000.0001",
    node_id: id,
    public_key: next.publicKey,
    type: "rotate_key_ok",
  });
  assert.equal(await registerIdentity(c, next), id, "the new key owns the id");
  assert.equal(await registerIdentity(c, a), id + 1, "the old key is a stranger now");
});

Deno.test("registry server: a client that half-closes after pipelining its requests still gets every answer", async () => {
  // Regression: Deno's conn.readable closes the socket at EOF, which dropped the answers still owed.
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const frames = Array.from({ length: 20 }, (_, i) => encodeRegistryFrame({ type: "lookup", node_id: i }));
  await c.write(new Uint8Array(frames.flatMap((f) => [...f])));
  await c.conn.closeWrite();
  let answers = 0;
  while ((await c.readFrame()) !== undefined) answers++;
  assert.equal(answers, 20);
});
