import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../log.ts";
import {
  type BeaconEndpoint,
  decodeBeaconMessage,
  encodeBeaconMessage,
  formatEndpoint,
  MAX_SYNC_NODES,
} from "../protocol/beacon_message.ts";
import { startBeacon } from "./server.ts";
import { LOOPBACK, TestPeer, TV5 } from "./_testing.ts";
import { formatUdpAddr, type UdpAddr } from "../net/mod.ts";

const discover = (nodeId: number) => encodeBeaconMessage({ type: "discover", nodeId });

function endpointIn(bytes: Uint8Array): string {
  const msg = decodeBeaconMessage(bytes);
  assert.ok(
    msg.type === "discover-reply" || msg.type === "punch-command",
    `not an endpoint message: ${msg.type}`,
  );
  return formatEndpoint(msg.endpoint);
}

async function register(peer: TestPeer, nodeId: number, beacon: UdpAddr): Promise<void> {
  await peer.send(discover(nodeId), beacon);
  const [reply] = await peer.next(`discover reply for node ${nodeId}`);
  assert.equal(endpointIn(reply), formatUdpAddr(peer.addr));
}

interface Captured {
  direction: string;
  hex: string;
}

async function capturedRuns(): Promise<Captured[][]> {
  const data: unknown = JSON.parse(
    await Deno.readTextFile(new URL("../../../shared/vectors/beacon.json", import.meta.url)),
  );
  if (typeof data !== "object" || data === null) throw new Error("beacon.json is not an object");
  return ["messages", "encrypted_run_messages"].map((key) => {
    const list: unknown = Reflect.get(data, key);
    if (!Array.isArray(list)) throw new Error(`beacon.json ${key} is not an array`);
    return list.map((entry: unknown) => {
      const direction: unknown = Reflect.get(Object(entry), "direction");
      const hex: unknown = Reflect.get(Object(entry), "hex");
      if (typeof direction !== "string" || typeof hex !== "string") throw new Error(`bad entry in ${key}`);
      return { direction, hex };
    });
  });
}

Deno.test("beacon server: every captured request gets a reply of the captured layout at the captured peer", async () => {
  for (const run of await capturedRuns()) {
    await using beacon = startBeacon(LOOPBACK);
    await using a = new TestPeer();
    await using b = new TestPeer();
    const peers: Record<string, TestPeer> = { daemonA: a, daemonB: b };
    let replies = 0;
    for (const { direction, hex } of run) {
      const [from, to] = direction.split("->");
      const bytes = Uint8Array.fromHex(hex);
      if (to === "beacon") {
        await peers[from].send(bytes, beacon.addr);
        continue;
      }
      const [got] = await peers[to].next(`reply like ${hex}`);
      replies++;
      assert.equal(got[0], bytes[0], `type of reply like ${hex}`);
      assert.equal(got.byteLength, bytes.byteLength, `size of reply like ${hex}`);
      // The captured endpoint was the receiver's own (discover reply) or the other daemon's (punch command).
      const other = to === "daemonA" ? b : a;
      const want = got[0] === 0x02 ? peers[to].addr : other.addr;
      assert.equal(endpointIn(got), formatUdpAddr(want));
    }
    assert.ok(replies >= 7);
  }
});

Deno.test("beacon server: two sockets discovering each learn their own endpoint, and the table records both", async () => {
  await using beacon = startBeacon(LOOPBACK);
  await using a = new TestPeer();
  await using b = new TestPeer();
  await register(a, 100, beacon.addr);
  await register(b, 200, beacon.addr);
  const lookup = (id: number) => {
    const found = beacon.lookup(id);
    return found === undefined ? undefined : formatEndpoint(found);
  };
  assert.equal(lookup(100), formatUdpAddr(a.addr));
  assert.equal(lookup(200), formatUdpAddr(b.addr));
  // Re-discovering from another socket overwrites the entry, as in the reference.
  await register(b, 100, beacon.addr);
  assert.equal(lookup(100), formatUdpAddr(b.addr));
  assert.equal(beacon.stats().nodes, 2);
});

Deno.test("beacon server: a punch request sends each side a punch command with the other's endpoint", async () => {
  await using beacon = startBeacon(LOOPBACK);
  await using a = new TestPeer();
  await using b = new TestPeer();
  await register(b, 200, beacon.addr);
  // The requester need not have discovered first: the request itself records it.
  await a.send(encodeBeaconMessage({ type: "punch-request", requesterId: 100, targetId: 200 }), beacon.addr);
  const [toA] = await a.next("punch command to the requester");
  const [toB] = await b.next("punch command to the target");
  assert.equal(toA[0], 0x04);
  assert.equal(toB[0], 0x04);
  assert.equal(endpointIn(toA), formatUdpAddr(b.addr));
  assert.equal(endpointIn(toB), formatUdpAddr(a.addr));
  assert.equal(beacon.lookup(100)?.port, a.addr.port);
});

Deno.test("beacon server: a punch request for an unknown target is answered by nothing", async () => {
  await using beacon = startBeacon(LOOPBACK);
  await using a = new TestPeer();
  await a.send(encodeBeaconMessage({ type: "punch-request", requesterId: 1, targetId: 999 }), beacon.addr);
  // The server handles datagrams in order, so the next thing a receives answers the later discover.
  await register(a, 1, beacon.addr);
  assert.equal(beacon.stats().punchUnknownTarget, 1);
});

Deno.test("beacon server: a relay reaches the destination as relay-deliver with the frame byte for byte", async () => {
  await using beacon = startBeacon(LOOPBACK);
  await using a = new TestPeer();
  await using b = new TestPeer();
  await register(b, 2, beacon.addr);
  await a.send(Uint8Array.fromHex(`050000000100000002${TV5}`), beacon.addr);
  const [delivered] = await b.next("relay-deliver of TV-5");
  assert.equal(delivered.toHex(), `0600000001${TV5}`); // TV-12
  const big = new Uint8Array(60_000).map((_, i) => (i * 7) & 0xff);
  await a.send(encodeBeaconMessage({ type: "relay", senderId: 1, destId: 2, frame: big }), beacon.addr);
  const [bigDelivered] = await b.next("relay-deliver of 60,000 bytes");
  const msg = decodeBeaconMessage(bigDelivered);
  assert.ok(msg.type === "relay-deliver" && msg.senderId === 1);
  assert.deepEqual(msg.frame, big);
  // Unknown destination: dropped and counted; the next reply a gets is for its discover.
  await a.send(encodeBeaconMessage({ type: "relay", senderId: 1, destId: 77, frame: big }), beacon.addr);
  await register(a, 1, beacon.addr);
  const stats = beacon.stats();
  assert.equal(stats.relayed, 2);
  assert.equal(stats.relayUnknownDest, 1);
});

Deno.test("beacon server: entries idle longer than the ttl are evicted, refreshed ones stay", async () => {
  let now = 0;
  await using beacon = startBeacon({ ...LOOPBACK, entryTtlMs: 1_000, now: () => now });
  await using a = new TestPeer();
  await using b = new TestPeer();
  await using c = new TestPeer();
  await register(a, 1, beacon.addr);
  await register(b, 2, beacon.addr);
  now = 900;
  await register(b, 2, beacon.addr);
  now = 1_500;
  await register(c, 3, beacon.addr);
  assert.equal(beacon.lookup(1), undefined, "node 1 was idle for 1.5 s");
  assert.equal(beacon.lookup(2)?.port, b.addr.port, "node 2 refreshed at 0.9 s");
  const stats = beacon.stats();
  assert.equal(stats.nodes, 2);
  assert.equal(stats.expired, 1);
  // A punch towards the expired node finds nothing; the next datagram c receives answers its discover.
  await c.send(encodeBeaconMessage({ type: "punch-request", requesterId: 3, targetId: 1 }), beacon.addr);
  await register(c, 3, beacon.addr);
  assert.equal(beacon.stats().punchUnknownTarget, 1);
});

Deno.test("beacon server: a flood of distinct node ids never grows the tables past their bound", async () => {
  await using beacon = startBeacon({ ...LOOPBACK, maxEntries: 100 });
  await using a = new TestPeer();
  for (let id = 0; id < 1_000; id++) {
    await a.send(discover(id), beacon.addr);
    await a.next(`discover reply ${id}`);
    if (id % 100 === 99) assert.ok(beacon.stats().nodes <= 100);
  }
  const stats = beacon.stats();
  assert.equal(stats.nodes, 100);
  assert.equal(stats.evicted, 900);
  assert.equal(beacon.lookup(0), undefined, "the oldest went first");
  assert.ok(beacon.lookup(999) !== undefined);
  await using peer = new TestPeer();
  const ids = Array.from({ length: MAX_SYNC_NODES }, (_, i) => 1_000_000 + i);
  await peer.send(encodeBeaconMessage({ type: "sync", beaconId: 9, nodeIds: ids }), beacon.addr);
  await register(peer, 5, beacon.addr); // processed after the sync
  assert.ok(beacon.stats().gossipNodes <= 100);
});

Deno.test("beacon server: malformed datagrams are dropped and counted while a good client keeps being served", async () => {
  const records: LogRecord[] = [];
  const logger = createLogger({ level: "debug", sink: (r) => records.push(r) });
  await using beacon = startBeacon({ ...LOOPBACK, logger });
  await using hostile = new TestPeer();
  await using good = new TestPeer();
  const junk: Uint8Array[] = [
    new Uint8Array(0),
    Uint8Array.of(0),
    Uint8Array.of(0x0f),
    Uint8Array.fromHex("50494c50"),
  ];
  for (const hex of ["0100000064", "0300000064000000c8", "02047f000001c2c6", "07000000010002"]) {
    const bytes = Uint8Array.fromHex(hex);
    for (let cut = 1; cut < bytes.byteLength; cut++) junk.push(bytes.slice(0, cut));
  }
  for (const ipLen of [0, 5, 17, 255]) junk.push(Uint8Array.of(0x04, ipLen, 127, 0, 0, 1, 0, 80));
  junk.push(new Uint8Array(65_000).fill(0x07));
  for (const [i, bytes] of junk.entries()) {
    await hostile.send(bytes, beacon.addr);
    await register(good, 10 + i, beacon.addr);
  }
  const stats = beacon.stats();
  assert.equal(stats.received, junk.length * 2);
  assert.ok((stats.malformed.beacon_truncated ?? 0) >= 10, JSON.stringify(stats.malformed));
  assert.equal(stats.malformed.beacon_bad_ip_len, 4);
  assert.equal(stats.malformed.beacon_unknown_type, 3);
  assert.equal(stats.malformed.beacon_empty, 1);
  const warnings = records.filter((r) => r.level === "warn");
  assert.equal(warnings.length, 1, "one warning per interval, however many datagrams were dropped");
});

Deno.test("beacon server: relays for a node a peer beacon gossiped are forwarded to it unchanged", async () => {
  await using beacon = startBeacon(LOOPBACK);
  await using peerBeacon = new TestPeer();
  await using a = new TestPeer();
  await peerBeacon.send(encodeBeaconMessage({ type: "sync", beaconId: 9, nodeIds: [42, 43] }), beacon.addr);
  const relay = Uint8Array.fromHex(`05000000010000002a${TV5}`);
  await a.send(relay, beacon.addr);
  const [forwarded] = await peerBeacon.next("forwarded relay");
  assert.deepEqual(forwarded, relay);
  // A later sync without 42 withdraws it: the relay is then dropped (proved by the discover reply coming first).
  await peerBeacon.send(encodeBeaconMessage({ type: "sync", beaconId: 9, nodeIds: [43] }), beacon.addr);
  await a.send(relay, beacon.addr);
  await register(peerBeacon, 7, beacon.addr);
  assert.equal(beacon.stats().forwarded, 1);
  assert.equal(beacon.stats().relayUnknownDest, 1);
});

Deno.test("beacon server: it gossips its node ids to its peers in a sync", async () => {
  await using peerBeacon = new TestPeer();
  await using beacon = startBeacon({
    ...LOOPBACK,
    beaconId: 3,
    peers: [peerBeacon.addr],
    gossipIntervalMs: 20,
  });
  await using a = new TestPeer();
  await register(a, 11, beacon.addr);
  for (let i = 0; i < 50; i++) {
    const [bytes] = await peerBeacon.next("sync from the beacon");
    const msg = decodeBeaconMessage(bytes);
    assert.ok(msg.type === "sync" && msg.beaconId === 3);
    if (msg.nodeIds.includes(11)) return;
  }
  assert.fail("no sync listed node 11");
});

Deno.test("beacon server: close is idempotent, also through an abort signal", async () => {
  const controller = new AbortController();
  const beacon = startBeacon({ ...LOOPBACK, signal: controller.signal });
  assert.ok(beacon.addr.port > 0);
  assert.equal(beacon.draining, false);
  controller.abort();
  await beacon.close();
  await beacon.close();
  assert.equal(beacon.draining, true);
  const endpoint: BeaconEndpoint | undefined = beacon.lookup(1);
  assert.equal(endpoint, undefined);
});
