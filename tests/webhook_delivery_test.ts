/**
 * WebhookClient against real HTTP servers on 127.0.0.1 (control.md §10.8): order, exact bodies and
 * headers, a stalled receiver, overflow, error statuses, timeouts, hot swap, bounded close and an
 * unreachable port.
 */

import assert from "node:assert/strict";
import { createLogger, type Logger, type LogRecord } from "../lib/log.ts";
import { WebhookClient, type WebhookClientOptions } from "../lib/webhook/mod.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const WAIT_MS = 5000;
const SECOND_03 = 1_795_545_243n * 1_000_000_000n; // 2026-11-24T18:34:03Z

interface Received {
  readonly index: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Headers;
  readonly body: string;
}

/** How the server answers request `index` (0-based); `hang` answers only when the server closes. */
type Answer = number | "hang" | Promise<number>;

/** A webhook receiver recording every request, answering as `answer` says. */
class HookServer {
  readonly received: Received[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #waiters: { count: number; resolve: () => void }[] = [];
  readonly #release = Promise.withResolvers<void>();

  constructor(answer: (index: number) => Answer = () => 200) {
    this.#server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
      const url = new URL(req.url);
      const index = this.received.length;
      this.received.push({
        index,
        method: req.method,
        path: url.pathname + url.search,
        headers: req.headers,
        body: await req.text(),
      });
      for (const waiter of this.#waiters) if (this.received.length >= waiter.count) waiter.resolve();
      const plan = answer(index);
      let status: number;
      if (plan === "hang") {
        // Held until close(): the client gives up on its own, which is what these tests watch.
        await this.#release.promise;
        status = 200;
      } else {
        status = await Promise.race([plan, this.#release.promise.then(() => 200)]);
      }
      return new Response(status === 204 ? null : status >= 400 ? "no" : "ok", { status });
    });
  }

  url(path = "/events"): string {
    return `http://127.0.0.1:${this.#server.addr.port}${path}`;
  }

  bodies(): string[] {
    return this.received.map((r) => r.body);
  }

  /** Resolves once `count` requests have arrived. */
  async waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.push({ count, resolve });
    await withDeadline(
      promise,
      WAIT_MS,
      `${count} webhook requests did not arrive (got ${this.received.length})`,
    );
  }

  async close(): Promise<void> {
    this.#release.resolve(); // lets hanging handlers finish, so shutdown does not wait on them
    await this.#server.shutdown();
  }
}

/** A logger that keeps its records and lets a test wait for one. */
function recordingLogger(): {
  logger: Logger;
  records: LogRecord[];
  waitFor(msg: string, count?: number): Promise<void>;
} {
  const records: LogRecord[] = [];
  const waiters: { msg: string; count: number; resolve: () => void }[] = [];
  const matching = (msg: string) => records.filter((r) => r.msg === msg).length;
  const logger = createLogger({
    level: "debug",
    sink: (record) => {
      records.push(record);
      for (const w of waiters) if (matching(w.msg) >= w.count) w.resolve();
    },
  });
  return {
    logger,
    records,
    async waitFor(msg, count = 1) {
      if (matching(msg) >= count) return;
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ msg, count, resolve });
      await withDeadline(promise, WAIT_MS, `log "${msg}" did not appear ${count} times`);
    },
  };
}

/** A client with a deterministic clock (1 ms per emit from the §12.10 second). */
function client(url: string, extra: Partial<WebhookClientOptions> = {}): WebhookClient {
  let time = SECOND_03;
  return new WebhookClient({ url, nodeId: () => 1, clock: () => (time += 1_000_000n), ...extra });
}

function revoked(peer: number, ms: number, nodeId = 1): string {
  const fraction = String(ms).padStart(3, "0").replace(/0+$/, "");
  const timestamp = fraction === "" ? "2026-11-24T18:34:03Z" : `2026-11-24T18:34:03.${fraction}Z`;
  return `{"event":"trust.revoked","node_id":${nodeId},"timestamp":"${timestamp}","data":{"peer_node_id":${peer}}}`;
}

Deno.test("WebhookClient: posts events in order with the exact §10.8 bodies and headers", async () => {
  const server = new HookServer();
  let nodeId = 1;
  const hooks = client(server.url("/events?token=a%20b"), { nodeId: () => nodeId });
  try {
    hooks.emit("trust.revoked", { peer_node_id: 2 });
    hooks.emit("tunnel.established", { peer_node_id: 2, authenticated: true, relay: false, rekeyed: false });
    nodeId = 9; // node_id is read at emit time (a re-registration between two events)
    hooks.emit("node.deregistered");
    hooks.emit("pubsub.published", { topic: "a<b>&c", size: 0, from: "0:0000.0000.0002:1002" });
    await server.waitFor(4);
    assert.deepEqual(server.bodies(), [
      '{"event":"trust.revoked","node_id":1,"timestamp":"2026-11-24T18:34:03.001Z","data":{"peer_node_id":2}}',
      '{"event":"tunnel.established","node_id":1,"timestamp":"2026-11-24T18:34:03.002Z",' +
      '"data":{"authenticated":true,"peer_node_id":2,"rekeyed":false,"relay":false}}',
      '{"event":"node.deregistered","node_id":9,"timestamp":"2026-11-24T18:34:03.003Z"}',
      '{"event":"pubsub.published","node_id":9,"timestamp":"2026-11-24T18:34:03.004Z",' +
      '"data":{"from":"0:0000.0000.0002:1002","size":0,"topic":"a\\u003cb\\u003e\\u0026c"}}',
    ]);
    for (const request of server.received) {
      assert.equal(request.method, "POST");
      assert.equal(request.path, "/events?token=a%20b");
      assert.equal(request.headers.get("content-type"), "application/json");
      assert.equal(request.headers.get("user-agent"), "Go-http-client/1.1");
      assert.equal(
        request.headers.get("content-length"),
        String(new TextEncoder().encode(request.body).length),
      );
    }
  } finally {
    await hooks.close();
    await server.close();
  }
  assert.deepEqual(hooks.stats(), {
    url: "",
    pending: 0,
    queued: 4,
    delivered: 4,
    rejected: 0,
    failed: 0,
    droppedFull: 0,
    droppedAtClose: 0,
    encodeErrors: 0,
  });
});

Deno.test("WebhookClient: a stalled receiver does not hold up emit; the backlog then arrives in order", async () => {
  const gate = Promise.withResolvers<number>();
  const server = new HookServer(() => gate.promise);
  const hooks = client(server.url());
  try {
    for (let peer = 0; peer < 200; peer++) {
      assert.equal(hooks.emit("trust.revoked", { peer_node_id: peer }), undefined);
    }
    await server.waitFor(1);
    assert.equal(server.received.length, 1, "one POST at a time");
    assert.equal(hooks.stats().pending, 200);
    gate.resolve(204);
    await server.waitFor(200);
    assert.deepEqual(server.bodies(), Array.from({ length: 200 }, (_, peer) => revoked(peer, peer + 1)));
  } finally {
    await hooks.close();
    await server.close();
  }
  assert.equal(hooks.stats().delivered, 200);
});

Deno.test("WebhookClient: a full queue drops and counts events, warning once per interval", async () => {
  const gate = Promise.withResolvers<number>();
  const server = new HookServer(() => gate.promise);
  const log = recordingLogger();
  const hooks = client(server.url(), { queueCapacity: 4, logger: log.logger });
  try {
    hooks.emit("trust.revoked", { peer_node_id: 0 });
    await server.waitFor(1); // event 0 is in flight, the queue is empty
    for (let peer = 1; peer <= 7; peer++) hooks.emit("trust.revoked", { peer_node_id: peer });
    const stats = hooks.stats();
    assert.equal(stats.droppedFull, 3);
    assert.equal(stats.queued, 5);
    assert.equal(stats.pending, 5);
    const warnings = log.records.filter((r) => r.msg === "webhook queue full, event dropped");
    assert.equal(warnings.length, 1, "rate-limited");
    assert.equal(warnings[0]?.level, "warn");
    assert.equal(warnings[0]?.attrs.event, "trust.revoked");
    gate.resolve(200);
    await server.waitFor(5);
  } finally {
    await hooks.close();
    await server.close();
  }
  assert.deepEqual(server.bodies(), [0, 1, 2, 3, 4].map((peer) => revoked(peer, peer + 1)));
  assert.equal(hooks.stats().delivered, 5);
});

Deno.test("WebhookClient: status 500 is logged and the next event still goes", async () => {
  const server = new HookServer((index) => (index === 0 ? 500 : 200));
  const log = recordingLogger();
  const hooks = client(server.url(), { logger: log.logger });
  try {
    hooks.emit("trust.revoked", { peer_node_id: 1 });
    hooks.emit("trust.revoked", { peer_node_id: 2 });
    await server.waitFor(2);
    await log.waitFor("webhook rejected");
  } finally {
    await hooks.close();
    await server.close();
  }
  assert.deepEqual(server.bodies(), [revoked(1, 1), revoked(2, 2)]);
  const rejected = log.records.find((r) => r.msg === "webhook rejected");
  assert.equal(rejected?.level, "warn");
  assert.equal(rejected?.attrs.status, 500);
  const stats = hooks.stats();
  assert.equal(stats.rejected, 1);
  assert.equal(stats.delivered, 1);
  assert.equal(stats.failed, 0);
});

Deno.test("WebhookClient: a hanging receiver times out after timeoutMs and the next event still goes", async () => {
  const server = new HookServer((index) => (index === 0 ? "hang" : 200));
  const log = recordingLogger();
  const hooks = client(server.url(), { logger: log.logger, timeoutMs: 150 });
  try {
    const started = performance.now();
    hooks.emit("trust.revoked", { peer_node_id: 1 });
    hooks.emit("trust.revoked", { peer_node_id: 2 });
    await log.waitFor("webhook post timed out");
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 140, `timed out after ${elapsed} ms, before the 150 ms timeout`);
    await server.waitFor(2);
    assert.equal(server.received[1]?.body, revoked(2, 2));
  } finally {
    await hooks.close();
    await server.close();
  }
  const record = log.records.find((r) => r.msg === "webhook post timed out");
  assert.equal(record?.attrs.timeout_ms, 150);
  const stats = hooks.stats();
  assert.equal(stats.failed, 1);
  assert.equal(stats.delivered, 1);
});

Deno.test("WebhookClient: setUrl sends later events to the new URL; empty disables", async () => {
  const first = new HookServer();
  const second = new HookServer();
  const hooks = client(first.url());
  try {
    hooks.emit("trust.revoked", { peer_node_id: 1 });
    hooks.emit("trust.revoked", { peer_node_id: 2 });
    hooks.setUrl(second.url());
    assert.equal(hooks.url, second.url());
    hooks.emit("trust.revoked", { peer_node_id: 3 });
    await first.waitFor(2); // the old queue drains in the background
    await second.waitFor(1);
    hooks.setUrl(second.url()); // same URL: nothing changes
    hooks.emit("trust.revoked", { peer_node_id: 4 });
    await second.waitFor(2);
    hooks.setUrl("");
    assert.equal(hooks.url, "");
    hooks.emit("trust.revoked", { peer_node_id: 5 }); // disabled: ignored, not even time-stamped
    assert.equal(hooks.stats().queued, 4);
    hooks.setUrl(first.url());
    hooks.emit("trust.revoked", { peer_node_id: 6 });
    await first.waitFor(3);
  } finally {
    await hooks.close();
    await first.close();
    await second.close();
  }
  assert.deepEqual(first.bodies(), [revoked(1, 1), revoked(2, 2), revoked(6, 5)]);
  assert.deepEqual(second.bodies(), [revoked(3, 3), revoked(4, 4)]);
  assert.equal(hooks.stats().delivered, 5);
});

Deno.test("WebhookClient: a replaced URL that hangs does not delay the new one, and its drain is bounded", async () => {
  const stuck = new HookServer(() => "hang");
  const fresh = new HookServer();
  const log = recordingLogger();
  const hooks = client(stuck.url(), { logger: log.logger, drainTimeoutMs: 200 });
  try {
    hooks.emit("trust.revoked", { peer_node_id: 1 });
    hooks.emit("trust.revoked", { peer_node_id: 2 });
    await stuck.waitFor(1);
    hooks.setUrl(fresh.url());
    hooks.emit("trust.revoked", { peer_node_id: 3 });
    await fresh.waitFor(1);
    assert.equal(fresh.received[0]?.body, revoked(3, 3));
    await log.waitFor("webhook drain deadline passed, events dropped");
    assert.equal(hooks.stats().droppedAtClose, 2); // the one in flight and the one behind it
    assert.equal(hooks.stats().pending, 0);
  } finally {
    await hooks.close();
    await stuck.close();
    await fresh.close();
  }
  assert.equal(stuck.received.length, 1);
});

Deno.test("WebhookClient: close delivers what is queued to a working receiver", async () => {
  const server = new HookServer();
  const hooks = client(server.url());
  try {
    for (let peer = 0; peer < 20; peer++) hooks.emit("trust.revoked", { peer_node_id: peer });
    await hooks.close();
    assert.equal(server.received.length, 20, "close returned before the queue drained");
    hooks.emit("trust.revoked", { peer_node_id: 99 }); // after close: ignored
    hooks.setUrl(server.url("/other")); // after close: ignored
    await hooks.close(); // idempotent
  } finally {
    await hooks.close();
    await server.close();
  }
  assert.deepEqual(server.bodies(), Array.from({ length: 20 }, (_, peer) => revoked(peer, peer + 1)));
  assert.equal(hooks.stats().queued, 20);
  assert.equal(hooks.url, "");
});

Deno.test("WebhookClient: close returns within its bound with a hanging receiver and counts the rest", async () => {
  const server = new HookServer(() => "hang");
  const log = recordingLogger();
  const hooks = client(server.url(), { logger: log.logger, drainTimeoutMs: 300 });
  let elapsed = 0;
  try {
    for (let peer = 0; peer < 5; peer++) hooks.emit("trust.revoked", { peer_node_id: peer });
    await server.waitFor(1);
    const started = performance.now();
    await withDeadline(hooks[Symbol.asyncDispose](), WAIT_MS, "close did not return");
    elapsed = performance.now() - started;
  } finally {
    await hooks.close();
    await server.close();
  }
  assert.ok(elapsed >= 250 && elapsed < 2000, `close took ${elapsed} ms with a 300 ms bound`);
  const stats = hooks.stats();
  assert.equal(stats.droppedAtClose, 5);
  assert.equal(stats.pending, 0);
  assert.equal(stats.failed, 0, "the aborted POST is counted as dropped, not failed");
  assert.equal(
    log.records.find((r) => r.msg === "webhook drain deadline passed, events dropped")?.attrs.dropped,
    5,
  );
});

Deno.test("WebhookClient: an unreachable URL never throws out of emit; failures are logged and counted", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // nothing listens there now
  const log = recordingLogger();
  const hooks = client(`http://127.0.0.1:${port}/events`, { logger: log.logger });
  try {
    for (let peer = 0; peer < 3; peer++) hooks.emit("trust.revoked", { peer_node_id: peer });
    await log.waitFor("webhook post failed", 3);
  } finally {
    await hooks.close();
  }
  const stats = hooks.stats();
  assert.equal(stats.failed, 3);
  assert.equal(stats.delivered, 0);
  assert.equal(typeof log.records.find((r) => r.msg === "webhook post failed")?.attrs.error, "string");
});

Deno.test("WebhookClient: a malformed URL or unencodable event is logged and counted, never thrown", async () => {
  const log = recordingLogger();
  const hooks = client("not a url", { logger: log.logger });
  let nodeId = -1;
  const bad = client("http://127.0.0.1:1/unused", { logger: log.logger, nodeId: () => nodeId });
  try {
    hooks.emit("node.deregistered");
    await log.waitFor("webhook post failed");
    bad.emit("node.deregistered"); // node id -1 is not a u32
    bad.emit("data.datagram", { src_addr: "0:0000.0000.0002", src_port: 1, dst_port: 2, size: Number.NaN });
    nodeId = 2;
    bad.setUrl("");
    assert.equal(bad.stats().encodeErrors, 2);
    assert.equal(bad.stats().queued, 0);
  } finally {
    await hooks.close();
    await bad.close();
  }
  assert.equal(hooks.stats().failed, 1);
  assert.equal(log.records.filter((r) => r.msg === "webhook event not encodable").length, 2);
});
