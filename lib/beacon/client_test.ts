import assert from "node:assert/strict";
import {
  decodeBeaconMessage,
  encodeBeaconMessage,
  formatEndpoint,
  parseEndpoint,
} from "../protocol/beacon_message.ts";
import {
  advertisedEndpoint,
  BeaconLink,
  type DatagramSend,
  discoverEndpoint,
  discoverMessage,
  punchRequestMessage,
  relayMessage,
} from "./client.ts";
import { startBeacon } from "./server.ts";
import { LOOPBACK, TestPeer, TV5 } from "./_testing.ts";
import type { UdpAddr } from "../net/mod.ts";

Deno.test("beacon client: start-up discovery learns the temporary socket's endpoint from our beacon", async () => {
  await using beacon = startBeacon(LOOPBACK);
  const found = await discoverEndpoint({ listen: LOOPBACK, beacon: beacon.addr });
  assert.ok(found.ok, found.ok ? "" : found.error.message);
  assert.equal(formatEndpoint(found.endpoint).split(":")[0], "127.0.0.1");
  // The beacon recorded node id 0 at the same endpoint it reported.
  const recorded = beacon.lookup(0);
  assert.ok(recorded !== undefined);
  assert.equal(formatEndpoint(recorded), formatEndpoint(found.endpoint));
});

Deno.test("beacon client: start-up discovery gives up after its timeout against a silent socket", async () => {
  await using silent = new TestPeer();
  const started = performance.now();
  const found = await discoverEndpoint({ listen: LOOPBACK, beacon: silent.addr, timeoutMs: 200 });
  assert.ok(!found.ok);
  assert.equal(found.error.code, "beacon_discover_timeout");
  assert.ok(performance.now() - started >= 190);
  const [probe] = await silent.next("the discover probe");
  assert.equal(probe.toHex(), "0100000000", "start-up discover carries node id 0");
});

Deno.test("beacon client: start-up discovery skips datagrams that are not a discover reply", async () => {
  await using fake = new TestPeer();
  const pending = discoverEndpoint({ listen: LOOPBACK, beacon: fake.addr, timeoutMs: 2_000 });
  const [, from] = await fake.next("the discover probe");
  for (const hex of ["", "02", "0205000000000000", "04047f0000014b01", "50494c50"]) {
    await fake.send(Uint8Array.fromHex(hex), from);
  }
  await fake.send(Uint8Array.fromHex("0204cb0071074b01"), from);
  const found = await pending;
  assert.ok(found.ok);
  assert.equal(formatEndpoint(found.endpoint), "203.0.113.7:19201");
});

Deno.test("beacon client: start-up discovery reports a bind failure and an abort", async () => {
  await using taken = new TestPeer();
  const busy = await discoverEndpoint({ listen: taken.addr, beacon: taken.addr });
  assert.ok(!busy.ok);
  assert.equal(busy.error.code, "beacon_discover_bind");
  const controller = new AbortController();
  const pending = discoverEndpoint({ listen: LOOPBACK, beacon: taken.addr, signal: controller.signal });
  await taken.next("the discover probe");
  controller.abort();
  const aborted = await pending;
  assert.ok(!aborted.ok);
  assert.equal(aborted.error.code, "beacon_discover_aborted");
});

Deno.test("beacon client: the advertised endpoint falls back to the tunnel address for unhelpful hosts", () => {
  const tunnel = { hostname: "0.0.0.0", port: 4000 };
  assert.equal(advertisedEndpoint(parseEndpoint("203.0.113.7:5000"), tunnel), "203.0.113.7:5000");
  assert.equal(advertisedEndpoint(parseEndpoint("[2001:db8::1]:5000"), tunnel), "[2001:db8::1]:5000");
  assert.equal(advertisedEndpoint(undefined, tunnel), "127.0.0.1:4000");
  for (const host of ["0.0.0.0:1", "127.0.0.1:1", "[::1]:1", "[::]:1"]) {
    assert.equal(advertisedEndpoint(parseEndpoint(host), tunnel), "127.0.0.1:4000", host);
  }
  assert.equal(advertisedEndpoint(undefined, { hostname: "::", port: 4000 }), "[::1]:4000");
  assert.equal(advertisedEndpoint(undefined, { hostname: "10.0.0.2", port: 4000 }), "10.0.0.2:4000");
});

/** A tunnel socket stand-in: a real loopback socket whose sends a BeaconLink drives. */
function linkOn(peer: TestPeer, beacon: UdpAddr): BeaconLink {
  const send: DatagramSend = (bytes, to) => peer.send(bytes, to);
  return new BeaconLink({ beacon, send });
}

Deno.test("beacon link: announce, punch and relay from the tunnel socket work end to end", async () => {
  await using beacon = startBeacon(LOOPBACK);
  await using a = new TestPeer();
  await using b = new TestPeer();
  const linkA = linkOn(a, beacon.addr);
  const linkB = linkOn(b, beacon.addr);
  assert.deepEqual(decodeBeaconMessage(discoverMessage(5)), { type: "discover", nodeId: 5 });

  await a.send(discoverMessage(1), beacon.addr);
  const [replyA, fromBeacon] = await a.next("discover reply to A");
  assert.equal(await linkA.handleDatagram(replyA, fromBeacon), undefined);
  await b.send(discoverMessage(2), beacon.addr);
  await b.next("discover reply to B");
  assert.equal(beacon.lookup(1)?.port, a.addr.port);

  await a.send(punchRequestMessage(1, 2), beacon.addr);
  const [commandA] = await a.next("punch command to A");
  const [commandB] = await b.next("punch command to B");
  await linkA.handleDatagram(commandA, beacon.addr);
  for (let i = 0; i < 3; i++) {
    const [punch, from] = await b.next(`punch packet ${i} from A`);
    assert.equal(punch.toHex(), "50494c50");
    assert.equal(from.port, a.addr.port);
  }
  await linkB.handleDatagram(commandB, beacon.addr);
  for (let i = 0; i < 3; i++) assert.equal((await a.next(`punch packet ${i} from B`))[0].toHex(), "50494c50");

  await a.send(relayMessage(1, 2, Uint8Array.fromHex(TV5)), beacon.addr);
  const [deliver] = await b.next("relay-deliver at B");
  assert.equal(deliver.toHex(), `0600000001${TV5}`);
  const delivery = await linkB.handleDatagram(deliver, beacon.addr);
  assert.equal(delivery?.senderId, 1);
  assert.equal(delivery?.frame.toHex(), TV5);
});

Deno.test("beacon link: malformed or empty-frame messages on the tunnel socket are dropped", async () => {
  const sent: Uint8Array[] = [];
  const link = new BeaconLink({
    beacon: { hostname: "127.0.0.1", port: 9 },
    send: (bytes) => {
      sent.push(bytes);
      return Promise.resolve();
    },
  });
  const from = { hostname: "127.0.0.1", port: 1 };
  for (
    const hex of [
      "04",
      "0405",
      "04057f0000014b01",
      "0410" + "00".repeat(16),
      "06000000",
      "0600000001",
      "07000000",
    ]
  ) {
    assert.equal(await link.handleDatagram(Uint8Array.fromHex(hex), from), undefined, hex);
  }
  assert.equal(sent.length, 0, "no punch packets for a bad punch command");
  const sync = encodeBeaconMessage({ type: "sync", beaconId: 1, nodeIds: [1] });
  assert.equal(await link.handleDatagram(sync, from), undefined);
  assert.equal(sent.length, 0, "nothing answers a sync");
});
