/**
 * Hostile and replayed frames against a live tunnel (node 1), driven from raw UDP sockets playing node 2:
 * replay protection (§3.8, Q8), PILA/PILK rules (§3.7), Q23, Q10, Q11.
 */

import assert from "node:assert/strict";
import {
  deriveTunnelKeyFromPeer,
  generateIdentity,
  generateTunnelKeyPair,
  type Identity,
  TunnelCipher,
  type TunnelKeyPair,
} from "../lib/crypto/mod.ts";
import { decodePila, encodeNonce, encodePilk, encodePilsHeader } from "../lib/protocol/mod.ts";
import { Tunnel, TUNNEL_EVENTS } from "../lib/tunnel/mod.ts";
import { ownKeyExchangeFrame } from "../lib/tunnel/key_exchange.ts";
import { Inbox, RawPeer, type Received, testPacket, tunnelFacing } from "../lib/tunnel/_testing.ts";

interface Harness extends AsyncDisposable {
  tunnel: Tunnel;
  raw: RawPeer;
  identity: Identity;
  keys: TunnelKeyPair;
  packets: Inbox<Received>;
  events: Inbox<{ name: string; data: unknown }>;
  /** Node 2's cipher once the handshake is done. */
  cipher(): TunnelCipher;
  /** A PILS frame as node `sender` with `counter`, sealed with the shared key. */
  pils(packet: Uint8Array, counter: bigint, sender?: number): Uint8Array;
}

async function harness(options: { handshake?: boolean } = {}): Promise<Harness> {
  const raw = new RawPeer();
  const identity = generateIdentity();
  const keys = generateTunnelKeyPair();
  const packets = new Inbox<Received>();
  const events = new Inbox<{ name: string; data: unknown }>();
  const tunnel = tunnelFacing(raw, identity, {
    onPacket: (p, fromNode, info) =>
      packets.push({
        srcNode: p.src.node,
        fromNode,
        seq: p.seq,
        dstPort: p.dstPort,
        encrypted: info.encrypted,
        relayed: info.relayed,
        payload: p.payload.slice(),
      }),
    onEvent: (name, data) => events.push({ name, data }),
  });
  let cipher: TunnelCipher | undefined;
  const h: Harness = {
    tunnel,
    raw,
    identity,
    keys,
    packets,
    events,
    cipher: () => {
      if (cipher === undefined) throw new Error("no handshake yet");
      return cipher;
    },
    pils: (packet, counter, sender = 2) => {
      // A cipher of our own per frame, so the test picks the counter (the prefix is fixed).
      const prefix = Uint8Array.of(0x0A, 0x0B, 0x0C, 0x0D);
      const out = new TunnelCipher(cipherKey(), { noncePrefix: prefix, firstCounter: Number(counter) })
        .sealSync(packet);
      const frame = new Uint8Array(20 + out.sealed.byteLength);
      encodePilsHeader(sender, out.nonce, frame);
      frame.set(out.sealed, 20);
      return frame;
    },
    async [Symbol.asyncDispose]() {
      await tunnel.close();
      await raw[Symbol.asyncDispose]();
    },
  };
  let sharedKey: Uint8Array | undefined;
  const cipherKey = () => {
    if (sharedKey === undefined) throw new Error("no handshake yet");
    return sharedKey;
  };
  if (options.handshake ?? true) {
    await raw.send(ownKeyExchangeFrame(2, keys, identity), tunnel.localAddr);
    await raw.inbox.waitFor(() => raw.frames("PILA").length > 0, "the tunnel's PILA reply");
    const theirs = decodePila(raw.frames("PILA")[0].bytes);
    sharedKey = deriveTunnelKeyFromPeer(keys.privateKey, theirs.x25519Public);
    cipher = new TunnelCipher(sharedKey);
  }
  return h;
}

Deno.test("tunnel security: a replayed PILS frame is dropped and reported as security.nonce_replay", async () => {
  await using h = await harness();
  const frame = h.pils(testPacket(2, 1, 5), 1n);
  await h.raw.send(frame, h.tunnel.localAddr);
  await h.packets.waitFor((p) => p.length === 1, "first copy");
  await h.raw.send(frame, h.tunnel.localAddr);
  await h.events.waitFor((e) => e.some((x) => x.name === TUNNEL_EVENTS.nonceReplay), "replay event");
  assert.deepEqual(h.events.items.find((x) => x.name === TUNNEL_EVENTS.nonceReplay)?.data, {
    peer_node_id: 2,
    counter: 1,
  });
  assert.equal(h.packets.items.length, 1);
  assert.equal(h.tunnel.stats().drops.replay_replay, 1);
});

Deno.test("tunnel security: a forged PILS with a huge counter does not block the genuine peer (Q8)", async () => {
  await using h = await harness();
  const forged = new Uint8Array(70);
  encodePilsHeader(2, encodeNonce(0x0A0B0C0D, 1n << 60n), forged);
  await h.raw.send(forged, h.tunnel.localAddr);
  for (let c = 1n; c <= 3n; c++) await h.raw.send(h.pils(testPacket(2, 1, Number(c)), c), h.tunnel.localAddr);
  await h.packets.waitFor((p) => p.length === 3, "three genuine packets after the forgery");
  assert.deepEqual(h.packets.items.map((p) => p.seq), [1, 2, 3]);
  assert.equal(h.tunnel.stats().drops.auth_failed, 1);
  assert.ok(!h.events.items.some((e) => e.name === TUNNEL_EVENTS.nonceReplay));
});

Deno.test("tunnel security: a bad tag followed by a good frame with the same counter is accepted", async () => {
  await using h = await harness();
  const good = h.pils(testPacket(2, 1, 9), 7n);
  const bad = good.slice();
  bad[bad.length - 1] ^= 1;
  await h.raw.send(bad, h.tunnel.localAddr);
  await h.raw.send(good, h.tunnel.localAddr);
  await h.packets.waitFor((p) => p.length === 1, "the good frame");
  assert.equal(h.packets.items[0].seq, 9);
});

Deno.test("tunnel security: PILA with a key the registry does not hold, or a flipped signature bit, is dropped", async () => {
  await using h = await harness({ handshake: false });
  const impostor = ownKeyExchangeFrame(2, generateTunnelKeyPair(), generateIdentity());
  const flipped = ownKeyExchangeFrame(2, h.keys, h.identity);
  flipped[100] ^= 0x01;
  await h.raw.send(impostor, h.tunnel.localAddr);
  await h.raw.send(flipped, h.tunnel.localAddr);
  // A good frame after them proves both were processed (they come first on one socket).
  await h.raw.send(ownKeyExchangeFrame(2, h.keys, h.identity), h.tunnel.localAddr);
  await h.events.waitFor((e) => e.length === 1, "the genuine PILA");
  const drops = h.tunnel.stats().drops;
  assert.equal(drops.pila_wrong_key, 1);
  assert.equal(drops.pila_bad_signature, 1);
  assert.equal(h.events.items.length, 1);
});

Deno.test("tunnel security: PILK is refused from a node the registry has a key for", async () => {
  await using h = await harness({ handshake: false });
  await h.raw.send(encodePilk({ senderNode: 2, x25519Public: h.keys.publicKey }), h.tunnel.localAddr);
  await h.raw.send(ownKeyExchangeFrame(2, h.keys, h.identity), h.tunnel.localAddr);
  await h.events.waitFor((e) => e.length === 1, "the PILA after it");
  assert.equal(h.tunnel.stats().drops.pilk_refused, 1);
  assert.deepEqual(h.events.items[0].data, {
    peer_node_id: 2,
    authenticated: true,
    relay: false,
    rekeyed: false,
  });
});

Deno.test("tunnel security: a decrypted packet whose source is not the frame's node is dropped (Q23)", async () => {
  await using h = await harness();
  await h.raw.send(h.pils(testPacket(3, 1, 1), 1n), h.tunnel.localAddr);
  await h.raw.send(h.pils(testPacket(2, 1, 2), 2n), h.tunnel.localAddr);
  await h.packets.waitFor((p) => p.length === 1, "the honest packet");
  assert.equal(h.packets.items[0].seq, 2);
  assert.equal(h.tunnel.stats().drops.source_mismatch, 1);
});

Deno.test("tunnel security: undecryptable PILS from a known peer triggers a rate-limited key exchange (Q10)", async () => {
  await using h = await harness();
  const before = h.raw.frames("PILA").length;
  const junk = new Uint8Array(70);
  for (let i = 0; i < 30; i++) {
    encodePilsHeader(2, encodeNonce(1, BigInt(i + 1)), junk);
    await h.raw.send(junk.slice(), h.tunnel.localAddr);
  }
  await h.raw.inbox.waitFor(() => h.raw.frames("PILA").length > before, "a key exchange offer");
  await h.raw.send(h.pils(testPacket(2, 1, 1), 1n), h.tunnel.localAddr); // a marker: all junk was handled
  await h.packets.waitFor((p) => p.length === 1, "marker");
  const offers = h.raw.frames("PILA").length - before;
  assert.ok(offers >= 1 && offers <= 2, `1..2 offers for 30 bad frames, got ${offers}`);
  assert.equal(h.tunnel.stats().drops.auth_failed, 30);
});

Deno.test("tunnel security: a replayed PILA from another address does not move the peer (Q11)", async () => {
  await using h = await harness();
  await using attacker = new RawPeer();
  await attacker.send(ownKeyExchangeFrame(2, h.keys, h.identity), h.tunnel.localAddr);
  await h.events.waitFor(
    (e) => e.filter((x) => x.name === TUNNEL_EVENTS.established).length === 2,
    "replay seen",
  );
  assert.equal(h.tunnel.peers()[0].endpoint, h.raw.text);
  await h.tunnel.send(2, testPacket(1, 2, 1));
  await h.raw.inbox.waitFor(() => h.raw.frames("PILS").length === 1, "traffic still goes to the peer");
  assert.equal(attacker.frames("PILS").length, 0);
  assert.equal(attacker.frames("PILA").length, 0, "no reply: the key did not change");
});
