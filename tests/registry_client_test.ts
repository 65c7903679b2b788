// The daemon's registry client against our real registry: typed calls, error surfacing, reconnect after
// the registry restarts on the same store and port, timeouts, and the heartbeat loop re-registering
// after the registry lost the node.

import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../lib/log.ts";
import { startTestRegistry, testIdentity } from "../lib/registry/_testing.ts";
import { RegistryClient } from "../lib/registry/client.ts";
import * as calls from "../lib/registry/client_calls.ts";
import { type HeartbeatEvent, HeartbeatLoop } from "../lib/registry/heartbeat.ts";

const FAST = { backoffInitialMs: 10, backoffMaxMs: 40, dialTimeoutMs: 1000 };

function logSink(records: LogRecord[]) {
  return createLogger({ level: "debug", sink: (r) => records.push(r) });
}

Deno.test("registry client: typed calls round-trip and error replies become registry_error", async () => {
  await using registry = await startTestRegistry();
  const me = testIdentity(51);
  await using client = await RegistryClient.connect({
    address: `127.0.0.1:${registry.port}`,
    sign: (c) => Promise.resolve(me.sign(c)),
  });
  const reg = await calls.register(client, {
    publicKey: me.publicKey,
    listenAddr: "127.0.0.1:5000",
    owner: "",
  });
  assert.equal(reg.nodeId, 1);
  assert.equal(reg.address, "0:0000.0000.0001");
  assert.equal(typeof (await calls.heartbeat(client, reg.nodeId)), "number");
  await calls.setHostname(client, reg.nodeId, "me");
  await calls.setVisibility(client, reg.nodeId, true);
  await calls.setTags(client, reg.nodeId, ["#a"]);
  await calls.setTaskExec(client, reg.nodeId, true);
  const look = await calls.lookup(client, reg.nodeId);
  assert.deepEqual([look.hostname, look.public, look.tags, look.taskExec, look.realAddr], [
    "me",
    true,
    ["a"],
    true,
    "127.0.0.1:5000",
  ]);
  const byName = await calls.resolveHostname(client, "me");
  assert.equal(byName.raw.type, "resolve_hostname_ok", "raw reply kept for IPC pass-through");
  assert.equal((await calls.resolve(client, reg.nodeId, reg.nodeId)).realAddr, "127.0.0.1:5000");
  assert.equal(await calls.updatePoloScore(client, reg.nodeId, 3), 3);
  assert.equal(await calls.setPoloScore(client, reg.nodeId, -2), -2);
  assert.equal(await calls.getPoloScore(client, reg.nodeId), -2);
  const polled = await calls.pollHandshakes(client, reg.nodeId);
  assert.deepEqual([polled.requests, polled.responses], [[], []]);
  await assert.rejects(calls.resolveHostname(client, "nosuch"), {
    code: "registry_error",
    message: "registry: request failed",
  });
  await assert.rejects(calls.lookup(client, 0), { code: "registry_error" });
  await calls.deregister(client, reg.nodeId);
  await assert.rejects(calls.heartbeat(client, reg.nodeId), { code: "registry_error" });
});

Deno.test("registry client: concurrent calls are answered in call order on the one connection", async () => {
  await using registry = await startTestRegistry({ rateLimit: { capacity: 100 } });
  await using client = await RegistryClient.connect({ address: `127.0.0.1:${registry.port}` });
  const keys = Array.from({ length: 30 }, (_, i) => testIdentity(60 + i * 256).publicKey);
  const replies = await Promise.all(
    keys.map((publicKey) => calls.register(client, { publicKey, listenAddr: "127.0.0.1:1" })),
  );
  assert.deepEqual(replies.map((r) => r.publicKey), keys);
  assert.deepEqual(replies.map((r) => r.nodeId), keys.map((_, i) => i + 1));
});

Deno.test("registry client: reconnects after the registry restarts on the same store and port", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  const records: LogRecord[] = [];
  try {
    const first = await startTestRegistry({ dir });
    const port = first.port;
    const me = testIdentity(52);
    await using client = await RegistryClient.connect({
      address: `127.0.0.1:${port}`,
      sign: (c) => Promise.resolve(me.sign(c)),
      logger: logSink(records),
      ...FAST,
    });
    const { nodeId } = await calls.register(client, { publicKey: me.publicKey, listenAddr: "127.0.0.1:1" });
    await first.stop();
    await using second = await startTestRegistry({ dir, port });
    assert.equal(second.port, port);
    assert.equal(
      typeof (await calls.heartbeat(client, nodeId)),
      "number",
      "the node is still known after restart",
    );
    assert.ok(records.some((r) => r.msg === "registry reconnected"), JSON.stringify(records));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry client: when every redial fails the error names the original failure", async () => {
  const records: LogRecord[] = [];
  const registry = await startTestRegistry();
  await using client = await RegistryClient.connect({
    address: `127.0.0.1:${registry.port}`,
    logger: logSink(records),
    reconnectAttempts: 3,
    ...FAST,
  });
  await registry[Symbol.asyncDispose]();
  await assert.rejects(client.request({ type: "lookup", node_id: 1 }), (err: unknown) => {
    assert.ok(err instanceof Error && "code" in err && err.code === "connection_failed");
    assert.match(err.message, /^send failed and reconnect failed: /);
    return true;
  });
  assert.deepEqual(records.filter((r) => r.msg === "registry reconnect failed").map((r) => r.attrs.attempt), [
    1,
    2,
    3,
  ]);
  await assert.rejects(RegistryClient.connect({ address: `127.0.0.1:${registry.port}` }), {
    code: "connection_failed",
  });
});

Deno.test("registry client: a registry that never answers times the request out and the next one redials", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    await using client = await RegistryClient.connect({ address: `127.0.0.1:${silent.addr.port}`, ...FAST });
    await assert.rejects(client.request({ type: "lookup", node_id: 1 }, { timeoutMs: 50 }), {
      code: "timeout",
    });
    const aborter = new AbortController();
    const pending = client.request({ type: "lookup", node_id: 1 }, { signal: aborter.signal });
    aborter.abort(new Error("caller gave up"));
    await assert.rejects(pending, { message: "caller gave up" });
  } finally {
    silent.close();
    await accepting;
    for (const c of held) c.close();
  }
});

Deno.test("registry client: the heartbeat loop re-registers after the registry lost the node", async () => {
  const records: LogRecord[] = [];
  const log = logSink(records);
  await using registry = await startTestRegistry({ rateLimit: { capacity: 100 } });
  const me = testIdentity(53);
  await using client = await RegistryClient.connect({
    address: `127.0.0.1:${registry.port}`,
    sign: (c) => Promise.resolve(me.sign(c)),
    logger: log,
  });
  const first = await calls.register(client, { publicKey: me.publicKey, listenAddr: "127.0.0.1:7" });
  const events: HeartbeatEvent[] = [];
  const reregistered = Promise.withResolvers<HeartbeatEvent>();
  let followUps = 0;
  const loop = new HeartbeatLoop({
    client,
    nodeId: first.nodeId,
    intervalMs: 15,
    logger: log,
    reRegister: (signal) =>
      calls.register(client, { publicKey: me.publicKey, listenAddr: "127.0.0.1:7" }, { signal }),
    onReRegistered: () => {
      followUps++;
      return Promise.resolve();
    },
    onEvent: (e) => {
      events.push(e);
      if (e.kind === "reregistered") reregistered.resolve(e);
    },
  });
  await using _loop = loop;
  loop.start();
  // The registry forgets the node, as after IPC `deregister` (§4.5): heartbeats fail until it re-registers.
  await calls.deregister(client, first.nodeId);
  const timeout = setTimeout(
    () => reregistered.reject(new Error(`no re-registration: ${JSON.stringify(events)}`)),
    5000,
  );
  const event = await reregistered.promise.finally(() => clearTimeout(timeout));
  assert.deepEqual(event, { kind: "reregistered", nodeId: first.nodeId, previousNodeId: first.nodeId });
  const failed = events.filter((e) => e.kind === "heartbeat_failed");
  assert.ok(failed.length >= 3, "three failed heartbeats came first");
  assert.ok(records.some((r) => r.msg === "heartbeat failed"));
  assert.ok(records.some((r) => r.msg === "attempting re-registration"));
  assert.equal(followUps, 1);
  await loop.stop();
});

Deno.test("registry client: re-registration that yields a new id logs it and the loop adopts it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  const records: LogRecord[] = [];
  const log = logSink(records);
  try {
    const me = testIdentity(55);
    const first = await startTestRegistry({ dir });
    const port = first.port;
    await using client = await RegistryClient.connect({
      address: `127.0.0.1:${port}`,
      sign: (c) => Promise.resolve(me.sign(c)),
      logger: log,
      ...FAST,
    });
    const reg = await calls.register(client, { publicKey: me.publicKey, listenAddr: "127.0.0.1:7" });
    await first.stop();
    // A registry restarted without its state, where another node got id 1 first.
    await using fresh = await startTestRegistry({ dir: await Deno.makeTempDir({ dir }), port });
    await using otherClient = await RegistryClient.connect({ address: `127.0.0.1:${port}` });
    await calls.register(otherClient, { publicKey: testIdentity(56).publicKey, listenAddr: "127.0.0.1:8" });
    const adopted = Promise.withResolvers<void>();
    const loop = new HeartbeatLoop({
      client,
      nodeId: reg.nodeId,
      intervalMs: 10,
      logger: log,
      reRegister: (signal) =>
        calls.register(client, { publicKey: me.publicKey, listenAddr: "127.0.0.1:7" }, { signal }),
      onEvent: (e) => {
        if (e.kind === "heartbeat_ok" && e.nodeId === 2) adopted.resolve();
      },
    });
    await using _loop = loop;
    loop.start();
    const timeout = setTimeout(() => adopted.reject(new Error("the loop never heartbeat as node 2")), 5000);
    await adopted.promise.finally(() => clearTimeout(timeout));
    assert.equal(loop.nodeId, 2);
    const warn = records.find((r) => r.msg === "re-registered with new node ID");
    assert.deepEqual([warn?.attrs.old_node_id, warn?.attrs.node_id], [1, 2]);
    assert.ok(records.some((r) => r.msg === "registry reconnected"));
    assert.equal(fresh.port, port);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
