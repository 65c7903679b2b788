// The connection table: dialling outcomes and the SYN schedule, SYN admission order (§5.5), rate
// limits, connection limits, the accept queue, and dispatch of packets to known connections only.

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { FLAGS, formatAddress } from "../protocol/mod.ts";
import type { Packet } from "../protocol/mod.ts";
import { streamPacket } from "./_sim.ts";
import {
  ConnectionTable,
  SEND_BUFFER_MIN_BYTES,
  SEND_BUFFERS_TOTAL_BYTES,
  UNCONFIRMED_FREE_PER_SOURCE,
  UNCONFIRMED_FREE_TOTAL,
} from "./connection_table.ts";
import type { Connection } from "./connection.ts";
import { SimNet } from "./_sim.ts";
import type { TransportAction } from "./connection_table.ts";

const US = { network: 0, node: 1 };
const PEER = { network: 0, node: 2 };

function sent(actions: TransportAction[]): Packet[] {
  return actions.flatMap((a) => a.type === "send" ? [a.packet] : []);
}

function synFrom(node: number, srcPort: number, dstPort = 1000): Packet {
  return streamPacket({
    flags: FLAGS.SYN,
    src: { network: 0, node },
    dst: US,
    srcPort,
    dstPort,
    window: 512,
  });
}

/** Fires table deadlines up to `untilMs`, collecting actions with their times. */
function runTo(
  table: ConnectionTable,
  fromMs: number,
  untilMs: number,
): { at: number; action: TransportAction }[] {
  const out: { at: number; action: TransportAction }[] = [];
  let now = fromMs;
  for (let i = 0; i < 10_000; i++) {
    const next = table.nextDeadline();
    if (next === undefined || next > untilMs) break;
    now = Math.max(now, next);
    table.onTimer(now);
    for (const action of table.takeActions()) out.push({ at: now, action });
  }
  return out;
}

Deno.test("table: without a beacon SYNs go at 0, 1, 3, 7, 15, 23, 31 s and the dial fails at 39 s", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  const conn = table.dial({ address: PEER, port: 1000 }, 0);
  const first = sent(table.takeActions());
  const later = runTo(table, 0, 60_000);
  const synTimes = [0, ...later.filter((e) => e.action.type === "send").map((e) => e.at)];
  deepEqual(synTimes, [0, 1000, 3000, 7000, 15000, 23000, 31000]);
  equal(first[0].flags, FLAGS.SYN);
  const failed = later.find((e) => e.action.type === "dial-failed");
  equal(failed?.at, 39_000);
  ok(failed?.action.type === "dial-failed");
  equal(failed.action.error.code, "transport_dial_timeout");
  equal(failed.action.error.message, "dial timeout");
  ok(later.every((e) => e.action.type !== "relay"));
  equal(conn.state, "closed");
  equal(table.size, 0);
});

Deno.test("table: with a beacon the 4th SYN goes via relay at 7 s and the dial fails at 29 s", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.dial({ address: PEER, port: 1000 }, 0, { beacon: true });
  table.takeActions();
  const later = runTo(table, 0, 60_000);
  const synTimes = [0, ...later.filter((e) => e.action.type === "send").map((e) => e.at)];
  deepEqual(synTimes, [0, 1000, 3000, 7000, 9000, 13000, 21000]);
  deepEqual(later.filter((e) => e.action.type === "relay").map((e) => e.at), [7000]);
  equal(later.find((e) => e.action.type === "dial-failed")?.at, 29_000);
});

Deno.test("table: a peer already relayed keeps the no-beacon schedule", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.dial({ address: PEER, port: 1000 }, 0, { beacon: true, relayed: true });
  table.takeActions();
  const later = runTo(table, 0, 60_000);
  equal(later.filter((e) => e.action.type === "relay").length, 0);
  equal(later.find((e) => e.action.type === "dial-failed")?.at, 39_000);
});

Deno.test("table: an RST answering our SYN fails the dial with connection refused", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  const conn = table.dial({ address: PEER, port: 9999 }, 0);
  table.takeActions();
  table.receive(
    streamPacket({ flags: FLAGS.RST, src: PEER, dst: US, srcPort: 9999, dstPort: conn.localPort }),
    3,
  );
  const failed = table.takeActions().find((a) => a.type === "dial-failed");
  ok(failed?.type === "dial-failed");
  equal(failed.error.code, "transport_refused");
  equal(failed.error.message, "connection refused");
  equal(table.size, 0);
});

Deno.test("table: a SYN|ACK establishes the dial with ACK seq 1 and a second SYN|ACK is not answered", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  const conn = table.dial({ address: PEER, port: 1000 }, 0);
  table.takeActions();
  const synAck = streamPacket({
    flags: FLAGS.SYN | FLAGS.ACK,
    src: PEER,
    dst: US,
    srcPort: 1000,
    dstPort: conn.localPort,
    ack: 1,
    window: 512,
  });
  table.receive(synAck, 2);
  const actions = table.takeActions();
  deepEqual(sent(actions).map((p) => [p.flags, p.seq, p.ack, p.window]), [[FLAGS.ACK, 1, 1, 512]]);
  ok(actions.some((a) => a.type === "established" && a.connection === conn));
  table.receive(synAck, 3);
  equal(sent(table.takeActions()).length, 0);
});

Deno.test("table: SYNs nobody answers: one source gets a handful in, then the 10/s bucket decides", () => {
  const table = new ConnectionTable({ localAddress: US, config: { acceptQueue: 1000 } }, 0);
  table.listen(1000);
  for (let i = 0; i < UNCONFIRMED_FREE_PER_SOURCE + 15; i++) table.receive(synFrom(2, 50_000 + i), 0);
  const synAcks = (actions: TransportAction[]) =>
    sent(actions).filter((p) => p.flags === (FLAGS.SYN | FLAGS.ACK));
  equal(synAcks(table.takeActions()).length, UNCONFIRMED_FREE_PER_SOURCE);
  for (let i = 0; i < 3; i++) table.receive(synFrom(2, 50_100 + i), 1000);
  equal(synAcks(table.takeActions()).length, 3, "a second later: tokens again");
  for (let i = 0; i < 10; i++) table.receive(synFrom(2, 50_200 + i), 1000);
  equal(synAcks(table.takeActions()).length, 7, "the rest of the refilled bucket, no more");
});

Deno.test("table: the global SYN bucket drops silently and raises security.syn_rate_limited", () => {
  // Past 5 tokens, SYNs are still admitted while fewer than 64 accepted connections in all never
  // answered their SYN|ACK (UNCONFIRMED_FREE_TOTAL); from then on the bucket rules, as in the reference.
  const table = new ConnectionTable({ localAddress: US, config: { synRateLimit: 5, acceptQueue: 1000 } }, 0);
  table.listen(1000);
  for (let i = 0; i < UNCONFIRMED_FREE_TOTAL + 2; i++) table.receive(synFrom(100 + i, 50_000), 0);
  const actions = table.takeActions();
  equal(sent(actions).length, UNCONFIRMED_FREE_TOTAL, "no RST for a rate-limited SYN");
  const limited = actions.filter((a) => a.type === "event" && a.name === "security.syn_rate_limited");
  deepEqual(limited.map((a) => a.type === "event" && a.data.src_addr), [
    formatAddress({ network: 0, node: 100 + UNCONFIRMED_FREE_TOTAL }),
    formatAddress({ network: 0, node: 101 + UNCONFIRMED_FREE_TOTAL }),
  ]);
  table.receive(synFrom(20, 50_000), 199);
  equal(sent(table.takeActions()).length, 0, "5/s: no whole token after 199 ms");
  table.receive(synFrom(21, 50_000), 200);
  equal(sent(table.takeActions()).length, 1, "one token after 200 ms");
});

Deno.test("table: a client that answers each SYN|ACK opens connections far past the SYN buckets", () => {
  const table = new ConnectionTable({ localAddress: US, config: { acceptQueue: 1000 } }, 0);
  table.listen(1000);
  let admitted = 0;
  for (let i = 0; i < 500; i++) {
    table.receive(synFrom(2, 50_000 + i), 0);
    const synAck = sent(table.takeActions()).find((p) => p.flags === (FLAGS.SYN | FLAGS.ACK));
    if (synAck === undefined) continue;
    admitted++;
    table.receive(
      streamPacket({
        flags: FLAGS.ACK,
        src: PEER,
        dst: US,
        srcPort: 50_000 + i,
        dstPort: 1000,
        seq: 1,
        ack: 1,
      }),
      0,
    );
  }
  equal(admitted, 500, "the 10/s per-source and 100/s global buckets did not cap a real client");
  // The same source then stops answering: the buckets are empty, so only the free handful gets in.
  for (let i = 0; i < UNCONFIRMED_FREE_PER_SOURCE + 20; i++) table.receive(synFrom(2, 60_000 + i), 0);
  equal(sent(table.takeActions()).length, UNCONFIRMED_FREE_PER_SOURCE);
});

Deno.test("table: the 65th connection waiting for accept gets SYN|ACK then RST", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.listen(1000);
  for (let i = 0; i < 64; i++) table.receive(synFrom(100 + i, 50_000), 0);
  table.takeActions();
  table.receive(synFrom(200, 50_000), 0);
  deepEqual(sent(table.takeActions()).map((p) => [p.flags, p.seq, p.ack, p.window]), [
    [FLAGS.SYN | FLAGS.ACK, 0, 1, 512],
    [FLAGS.RST, 0, 0, 0],
  ]);
  equal(table.size, 64);
  ok(table.accept(1000) !== undefined);
  table.receive(synFrom(201, 50_000), 0);
  equal(sent(table.takeActions()).length, 1, "room again after one accept");
});

Deno.test("table: per-port and total connection limits answer RST", () => {
  const table = new ConnectionTable({
    localAddress: US,
    config: { maxConnectionsPerPort: 2, maxConnectionsTotal: 3 },
  }, 0);
  table.listen(1000);
  table.listen(2000);
  table.receive(synFrom(2, 1), 0);
  table.receive(synFrom(3, 1), 0);
  table.takeActions();
  table.receive(synFrom(4, 1), 0);
  deepEqual(
    sent(table.takeActions()).map((p) => [p.flags, p.dstPort]),
    [[FLAGS.RST, 1]],
    "port 1000 is full",
  );
  table.receive(synFrom(4, 1, 2000), 0);
  equal(sent(table.takeActions())[0].flags, FLAGS.SYN | FLAGS.ACK);
  table.receive(synFrom(5, 1, 2000), 0);
  equal(sent(table.takeActions())[0].flags, FLAGS.RST, "3 in total");
});

Deno.test("table: a repeated SYN resends the original SYN|ACK with seq 0 even after data was sent (Q16)", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.listen(1000);
  table.receive(synFrom(2, 50_000), 0);
  const conn = table.accept(1000);
  if (conn === undefined) throw new Error("not queued");
  conn.write(new Uint8Array(5), 1);
  table.takeActions();
  table.receive(synFrom(2, 50_000), 2);
  deepEqual(sent(table.takeActions()).map((p) => [p.flags, p.seq, p.ack]), [[FLAGS.SYN | FLAGS.ACK, 0, 1]]);
  equal(table.size, 1);
});

Deno.test("table: a SYN reusing a TIME_WAIT tuple opens a new connection (Q20)", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.listen(1000);
  table.receive(synFrom(2, 50_000), 0);
  const old = table.accept(1000);
  table.receive(
    streamPacket({ flags: FLAGS.FIN, src: PEER, dst: US, srcPort: 50_000, dstPort: 1000, seq: 1 }),
    1,
  );
  equal(old?.state, "time-wait");
  table.takeActions();
  table.receive(synFrom(2, 50_000), 2);
  const actions = table.takeActions();
  ok(actions.some((a) => a.type === "removed" && a.connection === old && a.reason === "replaced"));
  const fresh = table.accept(1000);
  ok(fresh !== undefined && fresh !== old && fresh.state === "established");
});

Deno.test("table: events carry the §8 fields; packets for unknown connections are ignored", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.listen(1000);
  table.receive(synFrom(0x2A, 50_000), 0);
  const events = table.takeActions().flatMap((a) => a.type === "event" ? [[a.name, a.data]] : []);
  const fields = { src_addr: "0:0000.0000.002A", src_port: 50_000, dst_port: 1000, conn_id: 1 };
  deepEqual(events, [["conn.syn_received", fields], ["conn.established", fields]]);
  for (const flags of [FLAGS.ACK, FLAGS.FIN, FLAGS.RST, FLAGS.SYN | FLAGS.ACK, 0]) {
    table.receive(streamPacket({ flags, src: PEER, dst: US, srcPort: 1, dstPort: 1000 }), 1);
  }
  deepEqual(table.takeActions(), [], "no RST, nothing");
  table.receive(
    streamPacket({
      flags: FLAGS.RST,
      src: { network: 0, node: 0x2A },
      dst: US,
      srcPort: 50_000,
      dstPort: 1000,
    }),
    2,
  );
  const rst = table.takeActions().find((a) => a.type === "event");
  deepEqual(rst?.type === "event" && [rst.name, rst.data], [
    "conn.rst",
    { remote_addr: "0:0000.0000.002A", remote_port: 50_000, local_port: 1000, conn_id: 1 },
  ]);
  equal(table.size, 0);
  equal(table.accept(1000), undefined, "a reset connection leaves the accept queue");
});

Deno.test("table: binding a bound port fails; shutdown sends FIN and empties the table", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  table.listen(1000);
  throws(() => table.listen(1000), { code: "transport_port_bound", message: "port 1000 already bound" });
  table.receive(synFrom(2, 50_000), 0);
  table.dial({ address: PEER, port: 7 }, 0);
  table.takeActions();
  table.shutdown(5);
  const actions = table.takeActions();
  deepEqual(sent(actions).map((p) => p.flags), [FLAGS.FIN]);
  ok(actions.some((a) => a.type === "dial-failed"));
  equal(table.size, 0);
  equal(table.nextDeadline(), undefined);
});

Deno.test("table: dials take successive ephemeral ports", () => {
  const table = new ConnectionTable({ localAddress: US }, 0);
  const ports = [0, 1, 2].map(() => table.dial({ address: PEER, port: 7 }, 0).localPort);
  deepEqual(ports, [49152, 49153, 49154]);
});

Deno.test("table: a SYN the admission rule refuses gets RST and opens nothing; others are admitted", () => {
  const table = new ConnectionTable({
    localAddress: US,
    admitSyn: (src, port) => src.node === 3 || port === 444,
  }, 0);
  table.listen(1000);
  table.listen(444);
  table.receive(synFrom(2, 49152, 1000), 0);
  const refused = sent(table.takeActions());
  equal(refused.length, 1);
  equal(refused[0].flags, FLAGS.RST);
  equal(table.size, 0);
  table.receive(synFrom(2, 49153, 444), 0);
  table.receive(synFrom(3, 49154, 1000), 0);
  const answers = sent(table.takeActions());
  deepEqual(answers.map((p) => p.flags), [FLAGS.SYN | FLAGS.ACK, FLAGS.SYN | FLAGS.ACK]);
  equal(table.size, 2);
});

Deno.test("table: our own SYNs are not rate limited; a peer's unanswered ones past the free handful are dropped", () => {
  const table = new ConnectionTable({ localAddress: US, config: { acceptQueue: 1000 } }, 0);
  table.listen(1000);
  for (let i = 0; i < 300; i++) table.receive(synFrom(US.node, 50000 + i), 0);
  equal(sent(table.takeActions()).filter((p) => p.flags === (FLAGS.SYN | FLAGS.ACK)).length, 300);
  for (let i = 0; i < UNCONFIRMED_FREE_PER_SOURCE + 5; i++) table.receive(synFrom(2, 51000 + i), 0);
  const admitted = sent(table.takeActions()).filter((p) => p.flags === (FLAGS.SYN | FLAGS.ACK)).length;
  equal(admitted, UNCONFIRMED_FREE_PER_SOURCE);
});

Deno.test("table: send buffers shrink as connections open, so all of them stay near the daemon-wide total", () => {
  const a = new ConnectionTable({ localAddress: US }, 0);
  const b = new ConnectionTable({ localAddress: PEER, config: { acceptQueue: 1000 } }, 0);
  b.listen(1000);
  const established: Connection[] = [];
  const sim = new SimNet({ delayMs: 1 }, (node, action) => {
    if (node === US.node && action.type === "established") established.push(action.connection);
  });
  sim.add(a);
  sim.add(b);
  const one = a.dial({ address: PEER, port: 1000 }, 0);
  sim.runUntil(() => established.length === 1, 1000);
  equal(
    one.write(new Uint8Array(4 * 1024 * 1024), sim.nowMs),
    2 * 1024 * 1024,
    "alone: the configured 2 MiB",
  );
  for (let round = 1; round <= 4; round++) {
    const want = Math.min(200, round * 50);
    for (let i = established.length; i < want; i++) a.dial({ address: PEER, port: 1000 }, sim.nowMs);
    sim.runUntil(() => established.length === want, 100_000);
  }
  const share = Math.floor(SEND_BUFFERS_TOTAL_BYTES / 200);
  equal(
    established[199].write(new Uint8Array(4 * 1024 * 1024), sim.nowMs),
    share,
    "one of 200: a 200th of the total",
  );
  equal(established[198].write(new Uint8Array(100), sim.nowMs), 100);
  ok(share >= SEND_BUFFER_MIN_BYTES);
});
