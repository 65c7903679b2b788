/**
 * The tunnel's byte counters (control.md §9.3 `bytes_sent`/`bytes_recv`): every datagram on the
 * socket, framing included, beacon traffic included, checked against what a raw UDP peer saw and sent.
 */

import assert from "node:assert/strict";
import { generateIdentity, generateTunnelKeyPair } from "../lib/crypto/mod.ts";
import {
  AEAD_TAG_BYTES,
  encodeBeaconMessage,
  encodePilt,
  parseIp,
  PILA_SIZE,
  PILS_HEADER_SIZE,
} from "../lib/protocol/mod.ts";
import { Tunnel } from "../lib/tunnel/mod.ts";
import { ownKeyExchangeFrame } from "../lib/tunnel/key_exchange.ts";
import { type Datagram, Inbox, RawPeer, testPacket, tunnelFacing } from "../lib/tunnel/_testing.ts";

function totalBytes(datagrams: readonly Datagram[]): number {
  return datagrams.reduce((sum, d) => sum + d.bytes.byteLength, 0);
}

Deno.test("tunnel stats: bytesOut is the size of every datagram sent, key exchanges and PILS framing included", async () => {
  await using raw = new RawPeer();
  const rawIdentity = generateIdentity();
  await using tunnel = tunnelFacing(raw, rawIdentity);
  assert.equal(tunnel.stats().bytesOut, 0);
  assert.equal(tunnel.stats().bytesIn, 0);
  const syn = testPacket(1, 2, 0, new Uint8Array(100));
  await tunnel.send(2, syn);
  await raw.inbox.waitFor((d) => d.length >= 3, "PILA, PILA and the plaintext copy");
  assert.equal(tunnel.stats().bytesOut, 2 * PILA_SIZE + 4 + syn.byteLength);

  const theirs = ownKeyExchangeFrame(2, generateTunnelKeyPair(), rawIdentity);
  await raw.send(theirs, tunnel.localAddr);
  await raw.inbox.waitFor((d) => d.length >= 5, "our PILA reply and the queued packet as PILS");
  const stats = tunnel.stats();
  const pils = PILS_HEADER_SIZE + syn.byteLength + AEAD_TAG_BYTES;
  assert.equal(stats.bytesOut, 3 * PILA_SIZE + 4 + syn.byteLength + pils);
  assert.equal(stats.bytesOut, totalBytes(raw.inbox.items), "the peer saw exactly what was counted");
  assert.equal(stats.bytesIn, theirs.byteLength);
  assert.equal(stats.framesOut.PILS, 1);
});

Deno.test("tunnel stats: bytesIn counts each datagram once, beacon messages and unknown magic included", async () => {
  // The raw peer plays the beacon, so its messages are honoured and what the tunnel sends it is seen.
  await using beacon = new RawPeer();
  const packets = new Inbox<number>();
  await using tunnel = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    encrypt: false,
    beacon: beacon.addr,
    onPacket: (packet) => packets.push(packet.seq),
  });
  await tunnel.announce();
  await beacon.inbox.waitFor((d) => d.length === 1, "the Discover");

  const garbage = new TextEncoder().encode("XXXX not a frame");
  const deliver = encodeBeaconMessage({
    type: "relay-deliver",
    senderId: 2,
    frame: encodePilt(testPacket(2, 1, 5, new Uint8Array(40))),
  });
  const punch = encodeBeaconMessage({
    type: "punch-command",
    endpoint: { ip: parseIp("127.0.0.1"), port: beacon.addr.port },
  });
  // One socket, sent in order: once the packet and the punches are in, every datagram before them was read.
  await beacon.send(garbage, tunnel.localAddr);
  await beacon.send(deliver, tunnel.localAddr);
  await beacon.send(punch, tunnel.localAddr);
  await packets.waitFor((p) => p.length === 1, "the relayed packet");
  await beacon.inbox.waitFor(() => beacon.frames("PILP").length === 3, "three punches");

  const stats = tunnel.stats();
  assert.equal(stats.bytesIn, garbage.byteLength + deliver.byteLength + punch.byteLength);
  // The relayed PILT counts as a frame, not again as bytes: the datagram that carried it already did.
  assert.equal(stats.framesIn.beacon, 2);
  assert.equal(stats.framesIn.PILT, 1);
  assert.equal(stats.framesIn.ignore, 1);
  assert.equal(stats.bytesOut, 5 + 3 * 4, "a 5-byte Discover and three 4-byte PILP");
  assert.equal(stats.bytesOut, totalBytes(beacon.inbox.items));
});
