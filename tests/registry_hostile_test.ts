// Hostile input at a live registry: the table of control.md §3.1, wrong JSON types in every member of
// every message type, floods beyond the rate limit, frames cut off by a disconnect, the idle deadline,
// and a seeded random + mutation run of 10,000 frames. Throughout, a well-behaved client on its own
// connection must keep getting correct answers and the server must log no handler crash.

import assert from "node:assert/strict";
import { mutate, Prng } from "../lib/protocol/_fuzz.ts";
import { CHALLENGES } from "../lib/registry/auth.ts";
import { HANDLERS } from "../lib/registry/dispatch.ts";
import {
  RawClient,
  registerIdentity,
  startTestRegistry,
  testIdentity,
  type TestRegistry,
} from "../lib/registry/_testing.ts";
import { encodeRegistryFrame, isRecord } from "../lib/registry/messages.ts";
import type { JsonValue } from "../lib/registry/json.ts";

const FAILED = { error: "request failed", type: "error" };
const enc = (text: string) => new TextEncoder().encode(text);

function rawFrame(body: Uint8Array, declared = body.byteLength): Uint8Array {
  const out = new Uint8Array(4 + body.byteLength);
  new DataView(out.buffer).setUint32(0, declared);
  out.set(body, 4);
  return out;
}

/** A registered node and a connection that checks the registry still answers it correctly. */
async function wellBehaved(registry: TestRegistry) {
  const client = await RawClient.connect(registry.port);
  const me = testIdentity(99);
  const id = await registerIdentity(client, me);
  const beat = { type: "heartbeat", node_id: id, signature: me.sign(CHALLENGES.heartbeat(id)) };
  return {
    client,
    async check(): Promise<void> {
      assert.equal((await client.request(beat)).type, "heartbeat_ok");
      assert.equal((await client.request({ type: "lookup", node_id: id })).public_key, me.publicKey);
    },
  };
}

function assertNoCrash(registry: TestRegistry): void {
  const crashes = registry.records.filter((r) => r.msg === "request handler crashed" || r.level === "error");
  assert.deepEqual(crashes.map((r) => r.attrs), []);
}

Deno.test("registry hostile: the bad-input table of §3.1 closes or answers, and others keep being served", async () => {
  await using registry = await startTestRegistry();
  const good = await wellBehaved(registry);
  using _good = good.client;
  const closes: Array<[string, Uint8Array]> = [
    ["declared length over 1 MiB", rawFrame(new Uint8Array(0), 1_048_577)],
    ["declared length 4 GiB", rawFrame(new Uint8Array(0), 0xFFFF_FFFF)],
    ["empty body", rawFrame(new Uint8Array(0))],
    ["not JSON", rawFrame(enc("{nope"))],
    ["JSON array", rawFrame(enc("[1,2]"))],
    ["JSON string", rawFrame(enc('"register"'))],
    ["JSON number", rawFrame(enc("7"))],
  ];
  for (const [what, bytes] of closes) {
    using c = await RawClient.connect(registry.port);
    await c.write(bytes);
    assert.equal(await c.closedByServer(), true, what);
    await good.check();
  }
  using c = await RawClient.connect(registry.port);
  await c.write(rawFrame(enc("null")));
  assert.deepEqual(
    JSON.parse(new TextDecoder().decode((await c.readFrame())?.subarray(4))),
    FAILED,
    "null body",
  );
  for (
    const body of [{}, { type: 5 }, { type: null }, { type: "nosuch" }, { type: "constructor" }, {
      type: "__proto__",
    }, { type: "toString" }]
  ) {
    assert.deepEqual(await c.request(body), FAILED, JSON.stringify(body));
  }
  await c.write(rawFrame(enc('{"type":"lookup","node_id":1,"__proto__":{"x":1}}')));
  assert.equal(JSON.parse(new TextDecoder().decode((await c.readFrame())?.subarray(4))).type, "lookup_ok");
  // A body of exactly 1 MiB is still accepted (the limit is "length > 1 MiB").
  const pad = "a".repeat(1_048_576 - '{"type":"lookup","node_id":1,"pad":""}'.length);
  assert.equal((await c.request({ type: "lookup", node_id: 1, pad })).type, "lookup_ok");
  await good.check();
  assertNoCrash(registry);
});

Deno.test("registry hostile: wrong JSON types in every member of every message type get a reply", async () => {
  await using registry = await startTestRegistry({ rateLimit: { capacity: 100_000 } });
  const good = await wellBehaved(registry);
  using _good = good.client;
  using c = await RawClient.connect(registry.port);
  const fields = [
    "node_id",
    "peer_id",
    "requester_id",
    "from_node_id",
    "to_node_id",
    "node_a",
    "node_b",
    "beacon_id",
    "network_id",
    "public_key",
    "new_public_key",
    "listen_addr",
    "owner",
    "hostname",
    "signature",
    "tags",
    "public",
    "enabled",
    "accept",
    "delta",
    "polo_score",
    "justification",
    "addr",
    "token",
  ];
  const values: JsonValue[] = [
    "x",
    "",
    -1,
    1.5,
    1e300,
    -1e300,
    4294967296,
    true,
    false,
    null,
    [],
    [1, "a", null],
    {},
    { a: [] },
  ];
  let sent = 0;
  for (const type of HANDLERS.keys()) {
    for (const field of fields) {
      for (const value of values) {
        const reply = await c.request({ type, node_id: 1, [field]: value });
        assert.ok(typeof reply.type === "string", `${type}.${field}=${JSON.stringify(value)}`);
        sent++;
      }
    }
  }
  assert.ok(sent > 5000);
  await good.check();
  assertNoCrash(registry);
});

Deno.test("registry hostile: a registration flood is rate limited per IP while known keys pass", async () => {
  await using registry = await startTestRegistry();
  using c = await RawClient.connect(registry.port);
  const known = testIdentity(70);
  await registerIdentity(c, known); // token 1 of 10
  const outcomes: string[] = [];
  for (let i = 0; i < 15; i++) {
    outcomes.push(
      String((await c.request({ type: "register", public_key: testIdentity(71 + i * 256).publicKey })).type),
    );
  }
  assert.deepEqual(outcomes, [...Array(9).fill("register_ok"), ...Array(6).fill("error")]);
  assert.equal(
    (await c.request({ type: "register", public_key: known.publicKey })).type,
    "register_ok",
    "known key bypasses",
  );
  assert.ok(
    registry.records.some((r) => r.attrs.reason === "rate limited: too many registrations from 127.0.0.1"),
  );
});

Deno.test("registry hostile: frames cut off by a disconnect, and idle connections, are closed quietly", async () => {
  await using registry = await startTestRegistry({ idleTimeoutMs: 60 });
  const frame = encodeRegistryFrame({ type: "lookup", node_id: 1 });
  for (let cut = 1; cut < frame.byteLength; cut++) {
    const c = await RawClient.connect(registry.port);
    await c.write(frame.subarray(0, cut));
    c.close(); // abrupt: mid-prefix or mid-body
  }
  using idle = await RawClient.connect(registry.port);
  await idle.write(frame.subarray(0, 6)); // half a frame, then nothing: the idle deadline ends it
  assert.equal(await idle.closedByServer(), true);
  await registry.waitForLog("registry connection closed", (r) => r.attrs.reason === "idle timeout");
  const good = await wellBehaved(registry);
  using _good = good.client;
  await good.check();
  assertNoCrash(registry);
});

Deno.test("registry hostile: 10,000 seeded random and mutated frames never stop the server", async () => {
  await using registry = await startTestRegistry({ rateLimit: { capacity: 1_000_000 } });
  const good = await wellBehaved(registry);
  using _good = good.client;
  const vectors: unknown = JSON.parse(
    await Deno.readTextFile(new URL("../../shared/vectors/registry-session.json", import.meta.url)),
  );
  assert.ok(isRecord(vectors) && Array.isArray(vectors.messages));
  const seeds = vectors.messages.filter((m) => isRecord(m) && m.to === "registry").map((m) =>
    Uint8Array.fromHex(String(isRecord(m) ? m.hex : ""))
  );
  assert.ok(seeds.length > 20);
  const rng = new Prng(20261201);
  const types = [...HANDLERS.keys(), "nosuch"]; // subscribe_replication would end each batch early
  const names = [
    "node_id",
    "peer_id",
    "requester_id",
    "hostname",
    "tags",
    "public",
    "signature",
    "public_key",
    "delta",
    "accept",
  ];
  const randomValue = (depth: number): JsonValue => {
    switch (rng.below(depth > 1 ? 6 : 8)) {
      case 0:
        return rng.below(2) === 0;
      case 1:
        return rng.below(5) - 1;
      case 2:
        return (rng.nextU32() / 7) * (rng.below(2) ? 1 : -1);
      case 3:
        return rng.bytes(rng.below(12)).toBase64();
      case 4:
        return null;
      case 5:
        return "";
      case 6:
        return Array.from({ length: rng.below(4) }, () => randomValue(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: rng.below(3) }, () => [rng.pick(names), randomValue(depth + 1)]),
        );
    }
  };
  let frames = 0;
  let replies = 0;
  // Half the frames are mutated captures, five per connection (a broken one usually ends its connection,
  // so small batches make the server read most of them); half are well-framed random messages, fifty
  // per connection, which reach the handlers with every member kind in every type.
  for (let round = 0; round < 1100; round++) {
    const mutated = round % 11 !== 10;
    const batch: Uint8Array[] = [];
    for (let i = 0; i < (mutated ? 5 : 50); i++) {
      if (mutated) {
        batch.push(mutate(rng, rng.pick(seeds), { maxLength: 4096 }));
      } else {
        const message: Record<string, JsonValue> = { type: rng.pick(types) };
        for (let f = rng.below(5); f > 0; f--) message[rng.pick(names)] = randomValue(0);
        batch.push(encodeRegistryFrame(message));
      }
    }
    frames += batch.length;
    const c = await RawClient.connect(registry.port);
    try {
      const bytes = new Uint8Array(batch.reduce((n, b) => n + b.byteLength, 0));
      let offset = 0;
      for (const b of batch) {
        bytes.set(b, offset);
        offset += b.byteLength;
      }
      // Write everything, end our side, then read until the server closes: a frame whose length was
      // mutated upwards cannot leave us waiting, since our EOF ends it.
      await c.write(bytes).catch(() => {
        // The server closed early (bad JSON or oversize ahead in the batch): expected.
      });
      await c.conn.closeWrite().catch(() => {
        // Already reset by the server: nothing left to end.
      });
      for (let n = 0; n < 1000 && (await c.readFrame()) !== undefined; n++) replies++;
    } finally {
      c.close();
    }
    if (round % 50 === 0) await good.check();
  }
  assert.equal(frames, 10_000);
  assert.ok(replies > 1000, `only ${replies} replies: the run must reach the handlers`);
  await good.check();
  assertNoCrash(registry);
});
