import assert from "node:assert/strict";
import { startHealthServer } from "./health.ts";

Deno.test("beacon health: /healthz says ok while healthy, 503 unhealthy while draining, 404 elsewhere", async () => {
  let healthy = true;
  await using health = startHealthServer({ hostname: "127.0.0.1", port: 0, healthy: () => healthy });
  const base = `http://127.0.0.1:${health.addr.port}`;
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return [response.status, await response.text()] as const;
  };
  assert.deepEqual(await get("/healthz"), [200, "ok"]);
  healthy = false;
  assert.deepEqual(await get("/healthz"), [503, "unhealthy"]);
  assert.equal((await get("/other"))[0], 404);
  const post = await fetch(`${base}/healthz`, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
});
