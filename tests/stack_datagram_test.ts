/**
 * Datagrams and control pings between two real stacks (`spec/network.md` §6): ports, the broadcast
 * refusal, empty datagrams, ping answers and the refusal to answer pings from port 0 (Q15).
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { encodePacket, FLAGS, type Packet, PROTOCOLS } from "../lib/protocol/mod.ts";
import type { Datagram } from "../lib/transport/mod.ts";
import { pingPacket } from "../lib/transport/datagram.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { stackPair } from "./_helpers/stack_pair.ts";

function nextDatagram(subscribe: (fn: (d: Datagram) => void) => () => void): Promise<Datagram> {
  return new Promise((resolve) => {
    const stop = subscribe((d) => {
      stop();
      resolve(d);
    });
  });
}

Deno.test("stack datagram: delivered with source and destination ports, source from the ephemeral cursor", async () => {
  const events: string[] = [];
  await using pair = stackPair({ encrypt: true, stack: { onEvent: (name) => events.push(name) } });
  const first = nextDatagram((fn) => pair.b.subscribeDatagrams(fn));
  await pair.a.sendDatagram(pair.addrB, 5000, new TextEncoder().encode("hello"));
  const got = await withDeadline(first, 5_000, "datagram");
  assert.equal(new TextDecoder().decode(got.data), "hello");
  assert.equal(got.src.node, 1);
  assert.equal(got.srcPort, 49152);
  assert.equal(got.dstPort, 5000);
  const second = nextDatagram((fn) => pair.b.subscribeDatagrams(fn));
  await pair.a.sendDatagram(pair.addrB, 5001, new Uint8Array([1]));
  assert.equal((await withDeadline(second, 5_000, "second datagram")).srcPort, 49153, "a fresh port each");
  assert.ok(events.includes("data.datagram"));
});

Deno.test("stack datagram: broadcast is refused with the exact text and still advances the cursor", async () => {
  await using pair = stackPair({ encrypt: false });
  await assert.rejects(
    pair.a.sendDatagram({ network: 0, node: 0xFFFFFFFF }, 5000, new Uint8Array([1])),
    (err) =>
      isPilotError(err, "transport_broadcast") &&
      err.message === "broadcast is not available \u2014 custom networks are WIP",
  );
  const got = nextDatagram((fn) => pair.b.subscribeDatagrams(fn));
  await pair.a.sendDatagram(pair.addrB, 5000, new Uint8Array([1]));
  assert.equal((await withDeadline(got, 5_000, "datagram")).srcPort, 49153);
});

Deno.test("stack datagram: an empty datagram is dropped", async () => {
  await using pair = stackPair({ encrypt: false });
  const got = nextDatagram((fn) => pair.b.subscribeDatagrams(fn));
  await pair.a.sendDatagram(pair.addrB, 5000, new Uint8Array(0));
  await pair.a.sendDatagram(pair.addrB, 5000, new Uint8Array([7]));
  assert.deepEqual(
    [...(await withDeadline(got, 5_000, "datagram")).data],
    [7],
    "the first one seen is the non-empty one",
  );
});

Deno.test("stack ping: a ping to port 0 is answered and resolves with the round trip", async () => {
  const seen: Packet[] = [];
  await using pair = stackPair({
    encrypt: true,
    tap: (side, p) => side === "a" && seen.push({ ...p, payload: p.payload.slice() }),
  });
  const rtt = await pair.a.ping(pair.addrB, { payload: new Uint8Array([1, 2, 3]) });
  assert.ok(rtt >= 0 && rtt < 5_000);
  const pong = seen.find((p) => p.protocol === PROTOCOLS.CONTROL);
  assert.ok(pong !== undefined);
  assert.equal(pong.flags, FLAGS.ACK);
  assert.equal(pong.srcPort, 0);
  assert.equal(pong.dstPort, 49152);
  assert.equal(pong.ack, pong.seq + 1);
  assert.deepEqual([...pong.payload], [1, 2, 3]);
  assert.equal(pair.a.armedTimers(), 0, "the ping's timer is gone once answered");
});

Deno.test("stack ping: a ping from source port 0 is not answered (Q15)", async () => {
  const seen: Packet[] = [];
  await using pair = stackPair({
    encrypt: false,
    tap: (side, p) => side === "a" && seen.push({ ...p, payload: p.payload.slice() }),
  });
  // A hand-made ping from port 0; pingPacket itself refuses to build one.
  assert.throws(() => pingPacket(pair.addrA, pair.addrB, 0, 1, new Uint8Array(0)));
  const bad = { ...pingPacket(pair.addrA, pair.addrB, 1, 77, new Uint8Array(0)), srcPort: 0 };
  await pair.tunnelA.send(2, encodePacket(bad));
  // A normal ping after it: its pong arrives after any answer to the first (one path, in order).
  await pair.a.ping(pair.addrB);
  const control = seen.filter((p) => p.protocol === PROTOCOLS.CONTROL);
  assert.equal(control.length, 1, "only the normal ping was answered");
  assert.notEqual(control[0].seq, 77);
});

Deno.test("stack ping: an unanswered ping times out", async () => {
  await using pair = stackPair({ encrypt: false });
  await pair.b.close(); // a closed stack answers nothing
  await assert.rejects(
    pair.a.ping(pair.addrB, { timeoutMs: 200 }),
    (err) => isPilotError(err, "transport_ping_timeout"),
  );
});
