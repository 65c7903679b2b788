/**
 * What an encrypting tunnel puts on the wire, checked with a raw UDP socket as the peer: the observed
 * opening sequence of §3.6, the TV-8/TV-9/TV-11 vectors, and a PILA captured from the reference.
 */

import assert from "node:assert/strict";
import {
  deriveTunnelKeyFromPeer,
  generateIdentity,
  generateTunnelKeyPair,
  importTunnelPrivateKey,
  TunnelCipher,
} from "../lib/crypto/mod.ts";
import { decodePacket, decodePila, decodePils, encodePilk, readNonceCounter } from "../lib/protocol/mod.ts";
import { Tunnel, TUNNEL_EVENTS } from "../lib/tunnel/mod.ts";
import { ownKeyExchangeFrame } from "../lib/tunnel/key_exchange.ts";
import { Inbox, RawPeer, testPacket, tunnelFacing } from "../lib/tunnel/_testing.ts";

const TV8 = {
  alicePrivate: "77076D0A7318A57D3C16C17251B26645DF4C2F87EBC0992AB177FBA51DB92C2A",
  bobPrivate: "5DAB087E624A8A4B79E17F8B83800EE66F3BB1292618B6FD1C2F8B27FF88E0EB",
  bobPublic: "DE9EDB7D7B7DC1B4D35B61C2ECE435373F8343C85B78674DADFC7E146F882B4F",
  tunnelKey: "7FBA3471BC8EFE5A218C59651AD860926646B44C842BB2747AD11D976D60C50E",
};
const TV3 = "11010000000000000001000000000002C00003E800000000000000000200145ED874";
const TV9 = "50494C4B000000018520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A";
const TV11 =
  "50494C5300000001A1B2C3D4000000000000000156DFE3F8D3D878E2A8D87FC3412AFCA4DFC38B354CE7F0E1ECD34717B908C5461FCC585A0951448836DEEED10CB8A3DE519C";

function magicOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, 4));
}

Deno.test("tunnel wire: an encrypting sender's opening sequence is PILA, PILA, PILT, then PILA and PILS counter 1", async () => {
  await using raw = new RawPeer();
  const rawIdentity = generateIdentity();
  const rawKeys = generateTunnelKeyPair();
  await using tunnel = tunnelFacing(raw, rawIdentity);
  const syn = testPacket(1, 2, 0);
  await tunnel.send(2, syn);
  await raw.inbox.waitFor((d) => d.length >= 3, "three opening frames");
  assert.deepEqual(raw.inbox.items.map((d) => magicOf(d.bytes)), ["PILA", "PILA", "PILT"]);
  const ourPila = decodePila(raw.inbox.items[0].bytes);
  assert.equal(ourPila.senderNode, 1);
  assert.deepEqual(raw.inbox.items[2].bytes.subarray(4), syn);

  await raw.send(ownKeyExchangeFrame(2, rawKeys, rawIdentity), tunnel.localAddr);
  await raw.inbox.waitFor((d) => d.length >= 5, "reply and queued packet");
  assert.deepEqual(raw.inbox.items.slice(3).map((d) => magicOf(d.bytes)), ["PILA", "PILS"]);
  const pils = decodePils(raw.inbox.items[4].bytes);
  assert.equal(pils.senderNode, 1);
  assert.equal(readNonceCounter(pils.nonce), 1n);
  const cipher = new TunnelCipher(deriveTunnelKeyFromPeer(rawKeys.privateKey, ourPila.x25519Public));
  assert.deepEqual(cipher.openSync(pils.nonce, pils.sealed), syn);
  assert.equal(tunnel.stats().framesOut.PILA, 3);
});

Deno.test("tunnel wire: with the TV-8 keys the TV-11 frame decrypts to TV-3 after the TV-9 PILK", async () => {
  await using raw = new RawPeer();
  const packets = new Inbox<string>();
  const events = new Inbox<string>();
  await using tunnel = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 2,
    keyPair: importTunnelPrivateKey(Uint8Array.fromHex(TV8.bobPrivate)),
    identity: generateIdentity(),
    lookupIdentityKey: () => undefined, // node 1 has no registry key, so its PILK is accepted
    onPacket: (packet, fromNode, info) =>
      packets.push(`${fromNode}:${info.encrypted}:${packet.seq}:${packet.dstPort}`),
    onEvent: (name) => events.push(name),
  });
  await raw.send(Uint8Array.fromHex(TV9), tunnel.localAddr);
  await events.waitFor((e) => e.includes(TUNNEL_EVENTS.established), "PILK accepted");
  await raw.inbox.waitFor((d) => d.some((x) => magicOf(x.bytes) === "PILA"), "our key exchange in reply");
  await raw.send(Uint8Array.fromHex(TV11), tunnel.localAddr);
  await packets.waitFor((p) => p.length === 1, "TV-3 delivered");
  assert.deepEqual(packets.items, ["1:true:0:1000"]);
  assert.deepEqual(tunnel.peers(), [{
    nodeId: 1,
    endpoint: raw.text,
    encrypted: true,
    authenticated: false,
    relay: false,
  }]);
});

Deno.test("tunnel wire: sealing with the TV-8 keys gives a PILS the TV-8 tunnel key opens, counter 1", async () => {
  await using raw = new RawPeer();
  await using tunnel = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    keyPair: importTunnelPrivateKey(Uint8Array.fromHex(TV8.alicePrivate)),
  });
  const events = new Inbox<string>();
  await raw.send(
    encodePilk({ senderNode: 2, x25519Public: Uint8Array.fromHex(TV8.bobPublic) }),
    tunnel.localAddr,
  );
  // Without an identity we answer with PILK, and that PILK is exactly TV-9.
  await raw.inbox.waitFor((d) => d.length === 1, "our PILK");
  assert.equal(raw.inbox.items[0].bytes.toHex().toUpperCase(), TV9);
  void events;
  await tunnel.send(2, Uint8Array.fromHex(TV3));
  await raw.inbox.waitFor((d) => d.length === 2, "the PILS");
  const pils = decodePils(raw.inbox.items[1].bytes);
  assert.equal(readNonceCounter(pils.nonce), 1n);
  const plain = new TunnelCipher(Uint8Array.fromHex(TV8.tunnelKey)).openSync(pils.nonce, pils.sealed);
  assert.equal(plain.toHex().toUpperCase(), TV3);
  assert.equal(decodePacket(plain).dstPort, 1000);
});

Deno.test("tunnel wire: a PILA captured from the reference daemon is accepted and authenticated", async () => {
  const capture = JSON.parse(
    await Deno.readTextFile(new URL("../../shared/vectors/tunnel-encrypted.json", import.meta.url)),
  );
  const frames: { hex?: string; from?: string }[] = capture.frames;
  const pilaHex = frames.find((f) => f.from === "daemonB" && f.hex?.startsWith("50494c41"))?.hex;
  assert.ok(pilaHex !== undefined, "the capture holds B's PILA");
  const bKey = Uint8Array.fromBase64(capture.identities.B.ed25519_public_key_b64);
  await using raw = new RawPeer();
  const events = new Inbox<{ name: string; authenticated: unknown }>();
  await using tunnel = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    identity: generateIdentity(),
    lookupIdentityKey: (id) => id === 2 ? bKey : undefined,
    onEvent: (name, data) =>
      events.push({ name, authenticated: "authenticated" in data ? data.authenticated : undefined }),
  });
  await raw.send(Uint8Array.fromHex(pilaHex), tunnel.localAddr);
  await events.waitFor((e) => e.length === 1, "established");
  assert.deepEqual(events.items, [{ name: TUNNEL_EVENTS.established, authenticated: true }]);
});
