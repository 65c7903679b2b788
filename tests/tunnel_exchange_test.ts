/**
 * Two real tunnels on 127.0.0.1 exchange packets: plaintext, then encrypted (PILA both ways, then PILS).
 */

import assert from "node:assert/strict";
import { TUNNEL_EVENTS } from "../lib/tunnel/mod.ts";
import { TestNetwork, testPacket } from "../lib/tunnel/_testing.ts";

Deno.test("tunnel: plaintext tunnels exchange packets both ways and learn each other", async () => {
  await using net = new TestNetwork();
  const a = net.add(1, { encrypt: false });
  const b = net.add(2, { encrypt: false });
  for (let seq = 0; seq < 20; seq++) await a.tunnel.send(2, testPacket(1, 2, seq, Uint8Array.of(seq)));
  await b.packets.waitFor((p) => p.length === 20, "20 packets at b");
  assert.deepEqual(b.packets.items.map((p) => p.seq), [...Array(20).keys()]);
  assert.ok(b.packets.items.every((p) => !p.encrypted && p.srcNode === 1 && p.payload[0] === p.seq));
  // b learnt a from the first packet (§3.5), so it can answer without resolving.
  net.addresses.delete(1);
  await b.tunnel.send(1, testPacket(2, 1, 99));
  await a.packets.waitFor((p) => p.length === 1, "reply at a");
  assert.equal(a.packets.items[0].seq, 99);
  const learnt = b.events.items.find((e) => e.name === TUNNEL_EVENTS.peerAdded);
  assert.deepEqual(learnt?.data, { peer_node_id: 1, endpoint: `127.0.0.1:${a.tunnel.localAddr.port}` });
  assert.equal(a.tunnel.stats().framesOut.PILT, 20);
  assert.equal(a.tunnel.stats().framesOut.PILA, 0);
});

Deno.test("tunnel: encrypting tunnels authenticate with PILA both ways, then carry PILS", async () => {
  await using net = new TestNetwork();
  const a = net.add(1);
  const b = net.add(2);
  await a.tunnel.send(2, testPacket(1, 2, 0));
  // The first packet goes plaintext and, once keys exist, encrypted (Q7 kept, see tunnel.ts).
  await b.packets.waitFor((p) => p.some((x) => x.encrypted), "the queued copy as PILS");
  await a.events.waitFor((e) => e.some((x) => x.name === TUNNEL_EVENTS.established), "a established");
  for (let seq = 1; seq <= 200; seq++) {
    await a.tunnel.send(2, testPacket(1, 2, seq, new Uint8Array(1000).fill(seq)));
  }
  for (let seq = 1; seq <= 50; seq++) await b.tunnel.send(1, testPacket(2, 1, seq));
  await b.packets.waitFor((p) => p.filter((x) => x.seq >= 1).length === 200, "200 encrypted packets at b");
  await a.packets.waitFor((p) => p.length === 50, "50 encrypted packets at a");
  const data = b.packets.items.filter((x) => x.seq >= 1);
  assert.ok(data.every((x) => x.encrypted && x.payload.every((byte) => byte === (x.seq & 0xFF))));
  assert.deepEqual(data.map((x) => x.seq), [...Array(200).keys()].map((i) => i + 1), "order kept");
  assert.ok(a.packets.items.every((x) => x.encrypted));
  for (const node of [a, b]) {
    const [peer] = node.tunnel.peers();
    assert.equal(peer.encrypted, true);
    assert.equal(peer.authenticated, true);
    assert.equal(peer.relay, false);
    const established = node.events.items.find((e) => e.name === TUNNEL_EVENTS.established);
    assert.deepEqual(established?.data, {
      peer_node_id: node === a ? 2 : 1,
      authenticated: true,
      relay: false,
      rekeyed: false,
    });
  }
  const stats = a.tunnel.stats();
  assert.equal(stats.framesOut.PILT, 1, "only the very first packet went plaintext");
  assert.ok(stats.framesOut.PILA <= 3, `at most burst + reply key exchanges, got ${stats.framesOut.PILA}`);
  assert.equal(stats.framesOut.PILS, 201);
});

Deno.test("tunnel: sending to an unknown node without a resolver fails with no tunnel to node", async () => {
  await using net = new TestNetwork();
  const a = net.add(1, { resolvePeer: undefined });
  await assert.rejects(a.tunnel.send(7, testPacket(1, 7, 0)), {
    code: "tunnel_no_tunnel",
    message: "no tunnel to node 7",
  });
  const b = net.add(2);
  await assert.rejects(b.tunnel.send(7, testPacket(2, 7, 0)), { code: "tunnel_resolve_failed" });
});

Deno.test("tunnel: strict mode (no plaintext fallback) holds packets until the key exchange completes", async () => {
  await using net = new TestNetwork();
  const a = net.add(1, { plaintextFallback: false });
  const b = net.add(2);
  for (let seq = 0; seq < 5; seq++) await a.tunnel.send(2, testPacket(1, 2, seq));
  await b.packets.waitFor((p) => p.length === 5, "five packets");
  assert.ok(b.packets.items.every((p) => p.encrypted));
  assert.equal(a.tunnel.stats().framesOut.PILT, 0);
});

Deno.test("tunnel: small frames sealed and opened at once keep their place among bulk frames", async () => {
  await using net = new TestNetwork();
  const a = net.add(1);
  const b = net.add(2);
  await a.tunnel.send(2, testPacket(1, 2, 0));
  await a.events.waitFor((e) => e.some((x) => x.name === TUNNEL_EVENTS.established), "a established");
  await b.packets.waitFor((p) => p.some((x) => x.encrypted), "keys in use at b");
  // Alternating sizes on both sides of the synchronous-crypto limit, none awaited before the next, so
  // small frames are sealed while bulk seals are still in flight (and opened while opens are).
  const sizes = [4000, 12, 4000, 4000, 30, 1024, 1025, 8, 4000, 2];
  const sends: Promise<void>[] = [];
  for (let seq = 1; seq <= 40; seq++) {
    const size = sizes[seq % sizes.length];
    sends.push(a.tunnel.send(2, testPacket(1, 2, seq, new Uint8Array(size).fill(seq))));
  }
  await Promise.all(sends);
  await b.packets.waitFor((p) => p.filter((x) => x.seq >= 1).length === 40, "40 packets at b");
  const data = b.packets.items.filter((x) => x.seq >= 1);
  assert.deepEqual(data.map((x) => x.seq), [...Array(40).keys()].map((i) => i + 1), "order kept");
  assert.ok(data.every((x) => x.encrypted && x.payload.byteLength === sizes[x.seq % sizes.length]));
  assert.ok(data.every((x) => x.payload.every((byte) => byte === x.seq)));
});
