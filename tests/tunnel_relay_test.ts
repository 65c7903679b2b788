/**
 * The tunnel with our own beacon server (lib/beacon): relay between two tunnels whose direct path is
 * dead, punch commands answered with three PILP, and beacon messages from elsewhere ignored.
 */

import assert from "node:assert/strict";
import { startBeacon } from "../lib/beacon/mod.ts";
import { discoverMessage } from "../lib/beacon/mod.ts";
import { encodeBeaconMessage, parseIp } from "../lib/protocol/mod.ts";
import { TUNNEL_EVENTS } from "../lib/tunnel/mod.ts";
import { RawPeer, TestNetwork, testPacket } from "../lib/tunnel/_testing.ts";

Deno.test("tunnel relay: two tunnels with a dead direct path talk encrypted through the beacon", async () => {
  await using beacon = startBeacon({ hostname: "127.0.0.1", port: 0 });
  await using dead = new RawPeer(); // swallows the direct attempts
  await using net = new TestNetwork();
  const a = net.add(1, { beacon: beacon.addr });
  const b = net.add(2, { beacon: beacon.addr });
  await a.tunnel.announce();
  await b.tunnel.announce();
  net.addresses.set(1, dead.text);
  net.addresses.set(2, dead.text);
  await a.tunnel.send(2, testPacket(1, 2, 0)); // direct: lost
  await dead.inbox.waitFor((d) => d.length >= 3, "direct attempts at the dead socket");
  a.tunnel.setRelay(2); // what the transport does after 3 unanswered SYNs
  await a.tunnel.send(2, testPacket(1, 2, 1));
  await b.packets.waitFor((p) => p.some((x) => x.seq === 1 && x.encrypted), "encrypted packet via relay");
  for (let seq = 2; seq < 12; seq++) await a.tunnel.send(2, testPacket(1, 2, seq));
  for (let seq = 0; seq < 10; seq++) await b.tunnel.send(1, testPacket(2, 1, seq));
  await b.packets.waitFor((p) => p.filter((x) => x.encrypted && x.seq >= 2).length === 10, "10 relayed at b");
  await a.packets.waitFor((p) => p.filter((x) => x.encrypted).length === 10, "10 relayed at a");
  assert.ok(b.packets.items.every((x) => x.relayed));
  assert.ok(b.events.items.some((e) => e.name === TUNNEL_EVENTS.relayActivated));
  assert.deepEqual(b.tunnel.peers().map((p) => [p.nodeId, p.relay, p.encrypted, p.authenticated]), [[
    1,
    true,
    true,
    true,
  ]]);
  assert.equal(a.tunnel.peers()[0].relay, true);
  assert.ok(beacon.stats().relayed >= 20);
  assert.equal(dead.frames("PILS").length, 0, "nothing encrypted went direct");
});

Deno.test("tunnel relay: a punch command from the beacon is answered with three PILP to the endpoint", async () => {
  await using beacon = startBeacon({ hostname: "127.0.0.1", port: 0 });
  await using target = new RawPeer();
  await target.send(discoverMessage(9), beacon.addr);
  await target.inbox.waitFor((d) => d.length === 1, "discover reply");
  await using net = new TestNetwork();
  const a = net.add(1, { beacon: beacon.addr, encrypt: false });
  await a.tunnel.announce();
  net.addresses.set(9, target.text);
  await a.tunnel.send(9, testPacket(1, 9, 0)); // resolve → punch request → beacon commands both sides
  await target.inbox.waitFor(() => target.frames("PILP").length === 3, "three punches");
  assert.ok(
    target.frames("PILP").every((d) => d.bytes.byteLength === 4 && d.from.port === a.tunnel.localAddr.port),
  );
  assert.equal(a.tunnel.stats().framesOut.punch_request, 1);
  assert.equal(a.tunnel.stats().framesOut.PILP, 3);
});

Deno.test("tunnel relay: beacon messages from an address that is not the beacon are ignored", async () => {
  await using beacon = startBeacon({ hostname: "127.0.0.1", port: 0 });
  await using stranger = new RawPeer();
  await using net = new TestNetwork();
  const a = net.add(1, { beacon: beacon.addr, encrypt: false });
  const command = encodeBeaconMessage({
    type: "punch-command",
    endpoint: { ip: parseIp("127.0.0.1"), port: stranger.addr.port },
  });
  await stranger.send(command, a.tunnel.localAddr);
  await stranger.send(
    testPacket(5, 1, 0).length > 0 ? Uint8Array.of(0x50, 0x49, 0x4c, 0x54, ...testPacket(5, 1, 0)) : command,
    a.tunnel.localAddr,
  );
  await a.packets.waitFor((p) => p.length === 1, "the PILT after the command");
  assert.equal(stranger.frames("PILP").length, 0);
  assert.equal(a.tunnel.stats().drops.beacon_untrusted_source, 1);
});
