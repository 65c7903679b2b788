import assert from "node:assert/strict";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";

Deno.test("webhook: a daemon posts node.registered at start and node.deregistered at shutdown", async () => {
  const bodies: Array<Record<string, unknown>> = [];
  const deregistered = Promise.withResolvers<void>();
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (request) => {
    const body = await request.json();
    bodies.push(body);
    if (body.event === "node.deregistered") deregistered.resolve();
    return new Response("ok");
  });
  const node = await startDaemon({ flags: ["-webhook", `http://127.0.0.1:${server.addr.port}/hook`] });
  assert.equal(await node.stop(), 0, node.log());
  await withDeadline(deregistered.promise, 10_000, "no node.deregistered webhook arrived");
  const registered = bodies.find((b) => b.event === "node.registered");
  assert.ok(registered !== undefined, JSON.stringify(bodies));
  assert.deepEqual(Object.keys(registered), ["event", "node_id", "timestamp", "data"]);
  assert.equal(registered.node_id, node.nodeId);
  assert.equal((registered.data as Record<string, unknown>).address, node.address);
  const last = bodies.at(-1);
  assert.equal(last?.event, "node.deregistered");
  assert.equal("data" in (last ?? {}), false, "an event without data has no data member");
});
