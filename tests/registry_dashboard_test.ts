// The dashboard/metrics HTTP server of control.md §3.15 over real HTTP on 127.0.0.1 port 0.

import assert from "node:assert/strict";
import { CHALLENGES } from "../lib/registry/auth.ts";
import { abbreviateCount, startDashboard } from "../lib/registry/dashboard.ts";
import { RawClient, registerIdentity, startTestRegistry, testIdentity } from "../lib/registry/_testing.ts";

Deno.test("registry dashboard: stats, badges and loopback-only metrics have the reference's shapes", async () => {
  await using registry = await startTestRegistry();
  await using dashboard = await startDashboard({
    hostname: "127.0.0.1",
    port: 0,
    store: registry.store,
    metrics: registry.server.metrics,
    onlineMs: registry.server.staleNodeMs,
  });
  using c = await RawClient.connect(registry.port);
  const a = testIdentity(91);
  const b = testIdentity(92);
  const idA = await registerIdentity(c, a);
  const idB = await registerIdentity(c, b);
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
  const base = `http://127.0.0.1:${dashboard.addr.port}`;
  const res = await fetch(`${base}/api/stats`);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  const text = await res.text();
  assert.ok(text.endsWith("}\n"));
  const stats = JSON.parse(text);
  assert.deepEqual(Object.keys(stats), [
    "total_nodes",
    "active_nodes",
    "total_trust_links",
    "total_requests",
    "unique_tags",
    "task_executors",
    "networks",
    "nodes",
    "edges",
    "uptime_secs",
  ]);
  assert.deepEqual({ ...stats, total_requests: 0, uptime_secs: 0 }, {
    total_nodes: 2,
    active_nodes: 2,
    total_trust_links: 1,
    total_requests: 0,
    unique_tags: 1,
    task_executors: 0,
    networks: [{ id: 0, name: "backbone", members: 2, online_members: 2 }],
    nodes: [
      {
        address: "0:0000.0000.0001",
        tags: ["gpu"],
        online: true,
        trust_links: 1,
        task_exec: false,
        polo_score: 0,
      },
      {
        address: "0:0000.0000.0002",
        tags: [],
        online: true,
        trust_links: 1,
        task_exec: false,
        polo_score: 0,
      },
    ],
    edges: [{ source: "0:0000.0000.0001", target: "0:0000.0000.0002" }],
    uptime_secs: 0,
  });
  assert.equal(stats.total_requests, 4);
  const badge = await fetch(`${base}/api/badge/nodes`);
  assert.equal(badge.headers.get("content-type"), "image/svg+xml");
  assert.equal(badge.headers.get("cache-control"), "no-cache, no-store, must-revalidate");
  assert.match(await badge.text(), /online nodes.*>2</);
  const metrics = await fetch(`${base}/metrics`);
  const body = await metrics.text();
  assert.match(body, /^# HELP pilot_requests_total /m);
  assert.match(body, /^pilot_requests_total\{type="register"\} 2$/m);
  assert.match(body, /^pilot_request_duration_seconds_bucket\{type="register",le="\+Inf"\} 2$/m);
  assert.match(body, /^pilot_nodes_online 2$/m);
  assert.match(body, /^pilot_trust_reports_total 1$/m);
  const remote = await fetch(`${base}/metrics`, { headers: { "x-real-ip": "10.1.2.3" } });
  assert.equal(remote.status, 403);
  assert.equal(await remote.text(), "Forbidden\n");
  const missing = await fetch(`${base}/nope`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  assert.equal(abbreviateCount(999), "999");
  assert.equal(abbreviateCount(1234), "1.2K");
  assert.equal(abbreviateCount(3_400_000), "3.4M");
});
