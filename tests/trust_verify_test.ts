/**
 * Receiver-side checks of port-444 messages through TrustManager.handleMessage: the captured messages are
 * accepted, and each kind of forgery, stale or replayed message is dropped with its reason, never thrown.
 * Registry keys come from the minimal registry double of lib/trust/_test_network.ts.
 */

import assert from "node:assert/strict";
import { Ed25519Signer, verifyTextSignature } from "../lib/crypto/mod.ts";
import { capturedHandshakeMessages, capturedIdentities } from "../lib/trust/_test_vectors.ts";
import { TestNetwork } from "../lib/trust/_test_network.ts";
import { JSON_FRAGMENTS, mutate, Prng } from "../lib/protocol/_fuzz.ts";
import {
  decodeHandshakeMessage,
  encodeHandshakeMessage,
  handshakeChallenge,
  TrustManager,
  TrustStore,
} from "../lib/trust/mod.ts";
import type { HandshakeMessage } from "../lib/trust/mod.ts";

const CAPTURE_CLOCK = 1_795_546_149_000; // the request's timestamp, in ms

async function setup() {
  const ids = await capturedIdentities();
  const net = new TestNetwork();
  const a = await net.add(ids.a, { public: true });
  const b = await net.add(ids.b, { public: true });
  /** A message from A to B, signed by A unless `signer` says otherwise. */
  const fromA = async (
    fields: Partial<HandshakeMessage> = {},
    signer: Ed25519Signer = ids.a.signer,
  ): Promise<Uint8Array> =>
    encodeHandshakeMessage({
      type: "handshake_request",
      nodeId: 1,
      publicKey: ids.a.publicKey,
      justification: "hi",
      signature: await signer.signText(handshakeChallenge(fields.nodeId ?? 1, 2)),
      reason: "",
      timestamp: Math.floor(net.clock / 1000),
      ...fields,
    });
  return { net, a, b, ids, fromA, [Symbol.asyncDispose]: () => net.close() };
}

Deno.test("trust verify: the captured request, accept and revoke are accepted at capture time", async () => {
  await using t = await setup();
  const [request, accept, revoke] = await capturedHandshakeMessages();
  t.net.clock = CAPTURE_CLOCK;
  assert.deepEqual(await t.b.manager.handleMessage(request.bytes, { sourceNodeId: 1 }), {
    handled: true,
    type: "handshake_request",
    peer: 1,
    action: "pending",
  });
  t.a.store.setOutgoing(2); // A had asked
  t.net.clock += 1000;
  assert.deepEqual(await t.a.manager.handleMessage(accept.bytes, { sourceNodeId: 2 }), {
    handled: true,
    type: "handshake_accept",
    peer: 2,
    action: "trusted",
  });
  assert.equal(t.a.store.trusted(2)?.publicKey, t.ids.b.publicKey);
  t.net.clock += 5000;
  const outcome = await t.b.manager.handleMessage(revoke.bytes, { sourceNodeId: 1 });
  assert.equal(outcome.handled && outcome.action, "revoked");
  assert.equal(t.b.store.pending(1), undefined);
});

Deno.test("trust verify: forged, stale, future and replayed messages are each dropped", async (t) => {
  await using s = await setup();
  const { net, b, fromA, ids } = s;
  // `null`: the transport did not say where the message came from.
  const expectDrop = async (bytes: Uint8Array, reason: string, source: number | null = 1) => {
    const outcome = await b.manager.handleMessage(bytes, { sourceNodeId: source ?? undefined });
    assert.deepEqual(outcome.handled ? outcome : outcome.reason, reason, JSON.stringify(outcome));
  };

  await t.step("a flipped signature", async () => {
    const good = decodeHandshakeMessage(await fromA());
    const sig = good.signature;
    const flipped = (sig[0] === "A" ? "B" : "A") + sig.slice(1);
    await expectDrop(await fromA({ signature: flipped }), "bad_signature");
    await expectDrop(await fromA({ signature: "" }), "bad_signature");
    await expectDrop(await fromA({ signature: "not base64!" }), "bad_signature");
  });
  await t.step("a message signed by another key that claims A's", async () => {
    await expectDrop(await fromA({}, ids.b.signer), "bad_signature");
  });
  await t.step("a key in the message other than the registry's", async () => {
    // Signed by B's key and carrying it: the reference would accept this as node 1.
    await expectDrop(await fromA({ publicKey: ids.b.publicKey }, ids.b.signer), "key_mismatch");
    const lookups = net.registry.lookups;
    for (let i = 0; i < 20; i++) {
      await expectDrop(
        await fromA({ publicKey: ids.b.publicKey, justification: `${i}` }, ids.b.signer),
        "key_mismatch",
      );
    }
    assert.ok(net.registry.lookups - lookups <= 1, "mismatches do not each cost a registry lookup");
  });
  await t.step("an empty public_key while the registry holds one", async () => {
    await expectDrop(await fromA({ publicKey: "" }), "missing_key");
    await expectDrop(await fromA({ publicKey: "", signature: "" }), "missing_key");
  });
  await t.step("a stale timestamp (older than 5 min)", async () => {
    const ts = Math.floor(net.clock / 1000);
    await expectDrop(await fromA({ timestamp: ts - 301 }), "stale");
    await expectDrop(await fromA({ timestamp: 0 }), "stale");
    const edge = await b.manager.handleMessage(await fromA({ timestamp: ts - 300, justification: "edge" }));
    assert.equal(edge.handled, true, "exactly 5 min old still counts");
  });
  await t.step("a future timestamp (more than 30 s ahead)", async () => {
    const ts = Math.floor(net.clock / 1000);
    await expectDrop(await fromA({ timestamp: ts + 31 }), "future");
    await expectDrop(await fromA({ timestamp: Number.MAX_SAFE_INTEGER }), "future");
    const edge = await b.manager.handleMessage(await fromA({ timestamp: ts + 30, justification: "edge" }));
    assert.equal(edge.handled, true, "exactly 30 s ahead still counts");
  });
  await t.step("a replayed message", async () => {
    const bytes = await fromA({ justification: "once" });
    assert.equal((await b.manager.handleMessage(bytes, { sourceNodeId: 1 })).handled, true);
    await expectDrop(bytes, "replay");
    net.clock += 4 * 60_000;
    await expectDrop(bytes, "replay", null);
    net.clock += 2 * 60_000;
    await expectDrop(bytes, "stale");
  });
  await t.step("a node id other than the connection's source, or our own", async () => {
    await expectDrop(await fromA({ justification: "src" }), "source_mismatch", 3);
    await expectDrop(await fromA({ nodeId: 2, publicKey: ids.b.publicKey }, ids.b.signer), "self", null);
  });
  await t.step("a node the registry does not know", async () => {
    await expectDrop(await fromA({ nodeId: 9 }), "key_unavailable", null);
  });
  await t.step("an unknown type with a valid signature", async () => {
    await expectDrop(await fromA({ type: "handshake_hello" }), "unknown_type");
  });
  await t.step("bad JSON of every kind", async () => {
    const enc = new TextEncoder();
    for (
      const text of [
        "",
        "{",
        "null",
        "[]",
        '{"type":"handshake_request"}',
        `{"x":"${"y".repeat(5000)}"}`,
        "\u0000",
      ]
    ) {
      await expectDrop(enc.encode(text), "malformed");
    }
  });
  assert.equal(b.manager.isTrusted(1), false, "none of the above made B trust anybody");
});

Deno.test("trust verify: a cached key outlives a registry outage; unknown nodes stay refused", async () => {
  await using s = await setup();
  const { net, b, fromA } = s;
  assert.equal((await b.manager.handleMessage(await fromA({ justification: "1" }))).handled, true);
  net.registry.down = true;
  net.clock += 11 * 60_000; // past the cache's TTL: a refetch is tried and fails
  assert.equal((await b.manager.handleMessage(await fromA({ justification: "2" }))).handled, true);
  const unknown = await b.manager.handleMessage(await fromA({ nodeId: 9 }));
  assert.equal(unknown.handled ? "handled" : unknown.reason, "key_unavailable");
});

Deno.test("trust verify: a rotated key is accepted once the registry has it, the old one then refused", async () => {
  await using s = await setup();
  const { net, b, fromA, ids } = s;
  assert.equal((await b.manager.handleMessage(await fromA({ justification: "old key" }))).handled, true);
  const rotated = new Ed25519Signer(new Uint8Array(32).fill(9));
  net.registry.keys.set(1, rotated.publicKeyBase64);
  net.clock += 31_000; // the refresh guard lets one refetch through
  const withNew = await fromA({ publicKey: rotated.publicKeyBase64, justification: "new key" }, rotated);
  assert.equal((await b.manager.handleMessage(withNew)).handled, true);
  const withOld = await b.manager.handleMessage(
    await fromA({ publicKey: ids.a.publicKey, justification: "again" }),
  );
  assert.equal(withOld.handled ? "handled" : withOld.reason, "key_mismatch");
  // The daemon can also drop a cached key when it learns of a change.
  net.registry.keys.set(1, ids.a.publicKey);
  b.manager.invalidatePeerKey(1);
  assert.equal((await b.manager.handleMessage(await fromA({ justification: "back" }))).handled, true);
});

Deno.test("trust verify: a legacy registry record without a key falls back to the message's key", async () => {
  await using s = await setup();
  const { net, b, fromA } = s;
  net.registry.keys.set(1, "");
  assert.equal((await b.manager.handleMessage(await fromA({ justification: "legacy" }))).handled, true);
  const unsigned = await b.manager.handleMessage(
    await fromA({ publicKey: "", signature: "", justification: "u" }),
  );
  assert.equal(
    unsigned.handled ? "handled" : unsigned.reason,
    "missing_key",
    "the reference would accept it",
  );
});

Deno.test("trust verify: a failing daemon callback is reported as a drop, never thrown", async () => {
  const ids = await capturedIdentities();
  const net = new TestNetwork();
  net.registry.keys.set(1, ids.a.publicKey);
  await using manager = new TrustManager({
    store: TrustStore.inMemory(),
    registry: net.registry.client(),
    signer: ids.b.signer,
    ownNodeId: () => 2,
    now: () => net.clock,
    emit: () => {
      throw new Error("webhook queue exploded");
    },
    sendToPeer: () => Promise.resolve(),
  });
  const bytes = encodeHandshakeMessage({
    type: "handshake_request",
    nodeId: 1,
    publicKey: ids.a.publicKey,
    justification: "",
    signature: ids.a.signer.signText("handshake:1:2"),
    reason: "",
    timestamp: Math.floor(net.clock / 1000),
  });
  const outcome = await manager.handleMessage(bytes);
  assert.deepEqual(outcome, { handled: false, reason: "internal", detail: "webhook queue exploded" });
});

Deno.test("trust verify: 10,000 seeded mutations never throw and never pass a broken authentication", async () => {
  await using s = await setup();
  const { net, b, fromA, ids } = s;
  const seeds = [
    await fromA({ type: "handshake_request", justification: "fuzz" }),
    await fromA({ type: "handshake_reject", justification: "", reason: "no" }),
    await fromA({ type: "handshake_accept", justification: "" }),
    ...(await capturedHandshakeMessages()).map((m) => m.bytes),
  ];
  const rng = new Prng(0x444_7e57);
  const reasons = new Map<string, number>();
  for (let i = 0; i < 10_000; i++) {
    const input = mutate(rng, rng.pick(seeds), { fragments: JSON_FRAGMENTS });
    const source = rng.below(8) === 0 ? undefined : 1;
    let outcome;
    try {
      outcome = await b.manager.handleMessage(input, { sourceNodeId: source });
    } catch (err) {
      throw new Error(`iteration ${i}: handleMessage threw ${err}`);
    }
    const key = outcome.handled ? `handled:${outcome.type}` : outcome.reason;
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
    if (outcome.handled) {
      // Only the unsigned parts (text, timestamp) may have changed: sender and signature must still be A's.
      const message = decodeHandshakeMessage(input);
      assert.equal(message.nodeId, 1, `iteration ${i}`);
      assert.equal(message.publicKey, ids.a.publicKey, `iteration ${i}`);
      assert.equal(verifyTextSignature(ids.a.publicKey, handshakeChallenge(1, 2), message.signature), true);
      assert.ok(Math.abs(message.timestamp * 1000 - net.clock) <= 5 * 60_000, `iteration ${i}: fresh`);
    }
    if (i % 2000 === 1999) net.clock += 1000;
  }
  const handled = [...reasons].filter(([k]) => k.startsWith("handled")).reduce((n, [, c]) => n + c, 0);
  assert.ok(handled < 1000, `most mutations are dropped: ${JSON.stringify(Object.fromEntries(reasons))}`);
  assert.ok((reasons.get("malformed") ?? 0) > 1000);
  assert.ok((reasons.get("bad_signature") ?? 0) + (reasons.get("key_mismatch") ?? 0) > 0);
});
