// One connection against a scripted peer on a fake clock: timers, Nagle, delayed ACK, probes,
// keepalive, idle timeout, TIME_WAIT and closing.

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { FLAGS } from "../protocol/mod.ts";
import type { Packet } from "../protocol/mod.ts";
import { streamPacket } from "./_sim.ts";
import type { PacketFields } from "./_sim.ts";
import { Connection } from "./connection.ts";
import type { ConnectionSignal } from "./connection.ts";
import type { TransportConfig } from "./config.ts";
import { DELAYED_ACK_WAIT_MS } from "./constants.ts";

const A = { network: 0, node: 1 };
const B = { network: 0, node: 2 };

interface Harness {
  conn: Connection;
  packets: { at: number; packet: Packet }[];
  signals: ConnectionSignal[];
  now: { ms: number };
  /** Delivers a packet from the peer at the current time. */
  peer(fields: Omit<PacketFields, "src" | "dst" | "srcPort" | "dstPort">): void;
  /** Fires every deadline up to and including `untilMs`. */
  runTo(untilMs: number): void;
  take(): Packet[];
}

/** A dialled connection made ESTABLISHED by a SYN|ACK with `peerWindow` at time 0. */
function established(peerWindow = 512, config: Partial<TransportConfig> = {}): Harness {
  const now = { ms: 0 };
  const packets: { at: number; packet: Packet }[] = [];
  const signals: ConnectionSignal[] = [];
  const conn = Connection.dial({
    id: 1,
    localAddress: A,
    localPort: 49152,
    remote: { address: B, port: 1000 },
    hooks: { send: (packet) => packets.push({ at: now.ms, packet }), signal: (s) => signals.push(s) },
    config,
  }, 0);
  const h: Harness = {
    conn,
    packets,
    signals,
    now,
    peer: (fields) =>
      conn.receive(streamPacket({ src: B, dst: A, srcPort: 1000, dstPort: 49152, ...fields }), now.ms),
    runTo: (untilMs) => {
      for (let i = 0; i < 100_000; i++) {
        const next = conn.nextDeadline();
        if (next === undefined || next > untilMs) break;
        now.ms = Math.max(now.ms, next);
        conn.onTimer(now.ms);
        const after = conn.nextDeadline();
        if (after !== undefined && after <= now.ms) throw new Error(`deadline ${after} not after ${now.ms}`);
      }
      now.ms = Math.max(now.ms, untilMs);
    },
    take: () => packets.splice(0).map((p) => p.packet),
  };
  h.peer({ flags: FLAGS.SYN | FLAGS.ACK, seq: 0, ack: 1, window: peerWindow });
  equal(conn.state, "established");
  packets.length = 0;
  signals.length = 0;
  return h;
}

function data(n: number, fill = 0x61): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

Deno.test("connection: with no RTT sample a lost segment is resent on the §5.11 schedule, then RST", () => {
  const h = established();
  h.conn.write(data(100), 0);
  h.runTo(20_000);
  const resent = h.packets.filter((p) => p.packet.payload.byteLength === 100).map((p) => p.at);
  // Observed from the reference (100 ms check granularity): 0, ≈1.1, 3.2, 5.2, 7.3, 9.3, 11.3, 13.4; RST 15.5.
  const observed = [0, 1100, 3200, 5200, 7300, 9300, 11300, 13400];
  equal(resent.length, 8);
  resent.forEach((at, i) => ok(at <= observed[i] && observed[i] - at <= 500, `transmission ${i} at ${at}`));
  const rst = h.packets.find((p) => p.packet.flags === FLAGS.RST);
  ok(rst !== undefined && rst.at <= 15_500 && rst.at >= 15_000, `RST at ${rst?.at}`);
  deepEqual([rst.packet.seq, rst.packet.ack, rst.packet.window], [0, 0, 0]);
  equal(h.conn.state, "closed");
  ok(h.conn.isReceiveEnded);
  deepEqual(h.signals.at(-1), { type: "closed", reason: "retransmit-limit" });
});

Deno.test("connection: an RTT sample sets the RTO and a timeout doubles it once per episode", () => {
  const h = established();
  h.conn.write(data(10), 0);
  h.now.ms = 50;
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 11, window: 512 });
  equal(h.conn.rtoMs, 200); // 50 + max(10, 4 × 25) = 150, clamped to 200
  h.conn.write(data(10), 60);
  h.take();
  h.runTo(60 + 200);
  equal(h.take().length, 1);
  equal(h.conn.rtoMs, 400);
  h.runTo(60 + 200 + 400);
  equal(h.take().length, 1);
  equal(h.conn.rtoMs, 400, "not doubled again during recovery");
});

Deno.test("connection: Nagle holds a partial segment while data is unacknowledged, up to 40 ms", () => {
  const h = established();
  h.conn.write(data(100), 0);
  deepEqual(
    h.take().map((p) => [p.seq, p.payload.byteLength]),
    [[1, 100]],
    "nothing in flight: sent at once",
  );
  h.now.ms = 10;
  h.conn.write(data(50), 10);
  h.now.ms = 20;
  h.conn.write(data(50), 20);
  equal(h.take().length, 0, "held while 100 bytes are unacknowledged");
  equal(h.conn.nextDeadline(), 50);
  h.runTo(50);
  deepEqual(h.take().map((p) => [p.seq, p.payload.byteLength]), [[101, 100]], "coalesced after 40 ms");
  h.conn.write(data(30), 60);
  equal(h.take().length, 0);
  h.now.ms = 70;
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 201, window: 512 });
  deepEqual(
    h.take().map((p) => [p.seq, p.payload.byteLength]),
    [[201, 30]],
    "released by the ACK of everything",
  );
});

Deno.test("connection: full segments are never held by Nagle and are cut at 4096 bytes", () => {
  const h = established();
  h.conn.write(data(100), 0);
  h.conn.write(data(4096 * 2 + 10), 1);
  deepEqual(h.take().map((p) => p.payload.byteLength), [100, 4096, 4096]);
});

Deno.test("connection: received data is acknowledged after the delayed-ACK wait, or at once on the 2nd segment", () => {
  const h = established();
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: data(10) });
  equal(h.take().length, 0);
  equal(h.conn.nextDeadline(), DELAYED_ACK_WAIT_MS, "2 ms, not the reference's 40");
  h.runTo(DELAYED_ACK_WAIT_MS);
  deepEqual(h.take().map((p) => [p.flags, p.seq, p.ack, p.window]), [[FLAGS.ACK, 1, 11, 511]]);
  h.peer({ flags: FLAGS.ACK, seq: 11, ack: 1, window: 512, payload: data(10) });
  h.peer({ flags: FLAGS.ACK, seq: 21, ack: 1, window: 512, payload: data(10) });
  deepEqual(h.take().map((p) => p.ack), [31]);
  equal(h.conn.nextDeadline(), 30_000 + DELAYED_ACK_WAIT_MS, "no delayed ACK left: next is the keepalive");
});

Deno.test("connection: an out-of-order segment is acknowledged at once with SACK, a data segment cancels the delayed ACK", () => {
  const h = established();
  h.peer({ flags: FLAGS.ACK, seq: 11, ack: 1, window: 512, payload: data(10) });
  const [sack] = h.take();
  equal(sack.ack, 1);
  equal(new TextDecoder().decode(sack.payload.subarray(0, 4)), "SACK");
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: data(10) });
  deepEqual(h.take().map((p) => [p.ack, p.payload.byteLength]), [[21, 0]], "hole filled, cumulative ACK");
  h.peer({ flags: FLAGS.ACK, seq: 21, ack: 1, window: 512, payload: data(10) });
  h.conn.write(data(5), h.now.ms);
  deepEqual(h.take().map((p) => [p.ack, p.payload.byteLength]), [[31, 5]]);
  h.runTo(100);
  equal(h.take().length, 0, "the delayed ACK was carried by the data segment");
});

Deno.test("connection: a closed peer window triggers probes at 0.5 s doubling, reset by an opening ACK", () => {
  const h = established(1);
  h.conn.write(data(4096 * 3), 0);
  equal(h.take().length, 1, "one segment fills a one-slot window");
  h.runTo(8000);
  const probes = h.packets.filter((p) => p.packet.payload.byteLength === 0).map((p) => p.at);
  deepEqual(probes, [500, 1500, 3500, 7500]);
  ok(
    h.packets.every((p) => p.packet.payload.byteLength === 0 || p.packet.seq === 1),
    "only the first segment is resent",
  );
  h.take();
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 4097, window: 8 });
  deepEqual(h.take().map((p) => p.seq), [4097, 8193]);
  equal(h.conn.state, "established", "a full receiver is not a dead peer (no RST)");
});

Deno.test("connection: keepalives go out 30 s after the last activity and the idle timeout closes at 120 s", () => {
  const h = established();
  h.runTo(50_000);
  deepEqual(h.take().map((p) => [p.flags, p.seq, p.ack, p.payload.byteLength]), [[FLAGS.ACK, 1, 1, 0]]);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 0 }); // a reference keepalive, window 0
  h.runTo(200_000);
  const times = h.packets.map((p) => [p.at, p.packet.flags]);
  deepEqual(times.slice(0, 4), [[80_000, FLAGS.ACK], [110_000, FLAGS.ACK], [140_000, FLAGS.ACK], [
    170_000,
    FLAGS.FIN,
  ]]);
  ok(h.signals.some((s) => s.type === "idle-timeout"));
  equal(h.conn.state, "closed", "TIME_WAIT over 10 s after the FIN");
  equal(h.conn.endReason, "idle-timeout");
});

Deno.test("connection: a FIN is answered once with FIN|ACK; a FIN in TIME_WAIT is not answered (Q1); reaped after 10 s", () => {
  const h = established();
  h.conn.write(data(5), 0);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 6, window: 512 });
  h.take();
  h.now.ms = 100;
  h.peer({ flags: FLAGS.FIN, seq: 1 });
  deepEqual(h.take().map((p) => [p.flags, p.seq, p.ack, p.window]), [[FLAGS.FIN | FLAGS.ACK, 6, 2, 0]]);
  equal(h.conn.state, "time-wait");
  ok(h.conn.isReceiveEnded);
  h.now.ms = 200;
  h.peer({ flags: FLAGS.FIN | FLAGS.ACK, seq: 1, ack: 7 });
  equal(h.take().length, 0, "no answer in TIME_WAIT");
  throws(() => h.conn.write(data(1), 200), {
    code: "transport_not_established",
    message: "connection not established",
  });
  equal(h.conn.nextDeadline(), 10_100);
  h.runTo(10_100);
  equal(h.conn.state, "closed");
  deepEqual(h.signals.at(-1), { type: "closed", reason: "time-wait-expired" });
});

Deno.test("connection: close after write sends FIN only once everything is acknowledged (Q17)", () => {
  const h = established();
  h.conn.write(data(10_000), 0);
  h.conn.close(1);
  deepEqual(h.take().map((p) => p.payload.byteLength), [4096, 4096, 1808], "flushed at once, no Nagle wait");
  equal(h.conn.state, "fin-wait");
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 8193, window: 512 });
  equal(h.take().length, 0, "FIN waits for the last segment");
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 10_001, window: 512 });
  deepEqual(h.take().map((p) => [p.flags, p.seq, p.ack, p.window]), [[FLAGS.FIN, 10_001, 0, 0]]);
  equal(h.conn.state, "time-wait");
  h.peer({ flags: FLAGS.FIN | FLAGS.ACK, seq: 1, ack: 10_002 });
  h.runTo(20_000);
  equal(h.take().length, 0, "answered FIN is neither answered nor resent");
  equal(h.conn.state, "closed");
});

Deno.test("connection: close gives up on unacknowledged data after the linger time; an unanswered FIN is resent twice", () => {
  const h = established(512, { closeLingerMs: 5000 });
  h.conn.write(data(100), 0);
  h.conn.close(0);
  h.runTo(16_000);
  const fins = h.packets.filter((p) => p.packet.flags === FLAGS.FIN).map((p) => p.at);
  equal(fins.length, 3);
  equal(fins[0], 5000);
  ok(fins[1] > fins[0] && fins[2] > fins[1]);
  equal(h.conn.state, "closed");
  equal(h.conn.endReason, "local-close");
});

Deno.test("connection: the close linger starts again while the peer keeps acknowledging queued data", () => {
  const h = established(512, { closeLingerMs: 5000 });
  h.conn.write(data(3 * 4096), 0);
  h.conn.close(0);
  h.take();
  // Progress at 4 s and 8 s: without it the FIN (and the loss of the rest) would come at 5 s.
  h.runTo(4000);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 4097, window: 512 });
  h.runTo(8000);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 8193, window: 512 });
  h.runTo(12_000);
  equal(h.packets.filter((p) => p.packet.flags === FLAGS.FIN).length, 0, "still lingering at 12 s");
  h.runTo(12_500);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 12_289, window: 512 });
  const fin = h.packets.find((p) => p.packet.flags === FLAGS.FIN);
  deepEqual([fin?.at, fin?.packet.seq], [12_500, 12_289], "FIN once everything is acknowledged");
});

Deno.test("connection: a forced close sends FIN at once and abandons queued data", () => {
  const h = established();
  h.conn.write(data(100), 0);
  h.take();
  h.conn.close(5, { force: true });
  deepEqual(h.take().map((p) => [p.flags, p.seq]), [[FLAGS.FIN, 101]]);
  equal(h.conn.sendBufferedBytes, 0);
});

Deno.test("connection: a full receive queue advertises 1, drops unacknowledged, then sends a window update (Q2)", () => {
  const h = established(512, { receiveQueueSegments: 2 });
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: data(10) });
  h.peer({ flags: FLAGS.ACK, seq: 11, ack: 1, window: 512, payload: data(10) });
  deepEqual(h.take().map((p) => [p.ack, p.window]), [[21, 1]], "full: window 1, not 0");
  h.peer({ flags: FLAGS.ACK, seq: 21, ack: 1, window: 512, payload: data(10) });
  h.runTo(100);
  equal(h.take().length, 0, "the segment that did not fit is not acknowledged");
  const chunks = h.conn.takeReceived();
  equal(chunks.length, 2);
  h.conn.consumed(20, 100);
  deepEqual(h.take().map((p) => [p.ack, p.window]), [[21, 2]], "window update once slots are free");
  h.peer({ flags: FLAGS.ACK, seq: 21, ack: 1, window: 512, payload: data(10) });
  equal(h.conn.takeReceived().length, 1, "the retransmission is accepted");
});

Deno.test("connection: SACK-bearing duplicate ACKs trigger fast retransmit (Q3); idle keepalives do not", () => {
  const h = established();
  h.conn.write(data(4096 * 5), 0);
  h.take();
  const sack = (left: number, right: number) =>
    Uint8Array.of(0x53, 0x41, 0x43, 0x4B, 1, ...u32(left), ...u32(right));
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: sack(4097, 8193) });
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: sack(4097, 12289) });
  equal(h.take().length, 0);
  const cwnd = h.conn.cwndBytes;
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: sack(4097, 16385) });
  deepEqual(h.take().map((p) => [p.seq, p.payload.byteLength]), [[1, 4096]], "first unSACKed segment resent");
  equal(h.conn.cwndBytes, Math.max(cwnd / 2, 4096) + 3 * 4096);
  // Partial ACK: the next hole (16385) goes out at once.
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 16385, window: 512 });
  deepEqual(h.take().map((p) => p.seq), [16385]);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 20481, window: 512 });
  const idleCwnd = h.conn.cwndBytes;
  for (let i = 0; i < 4; i++) h.peer({ flags: FLAGS.ACK, seq: 1, ack: 20481, window: 0 });
  equal(h.conn.cwndBytes, idleCwnd, "duplicates with nothing in flight are ignored");
});

Deno.test("connection: data arriving after a local close is acknowledged and dropped", () => {
  const h = established();
  h.conn.close(0);
  equal(h.conn.state, "time-wait", "nothing queued: FIN at once");
  h.take();
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: data(10) });
  equal(h.take().length, 0, "TIME_WAIT accepts no data");
});

function u32(n: number): number[] {
  return [n >>> 24, (n >>> 16) & 0xFF, (n >>> 8) & 0xFF, n & 0xFF];
}

Deno.test("connection: a peer window of 0 keeps the last limit (Q2), and with none known the cwnd alone limits", () => {
  const h = established(2);
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 0 }); // a reference keepalive
  h.conn.write(data(4096 * 4), 0);
  equal(h.take().length, 2, "still two segments of window");
  const open = established(0);
  open.conn.write(data(4096 * 12), 0);
  equal(open.take().length, 10, "initial cwnd of 40960 bytes");
});

Deno.test("connection: fast recovery ends with the window deflated to ssthresh (NewReno, not the reference)", () => {
  const h = established();
  h.conn.write(data(4096 * 5), 0);
  h.take();
  const sack = (left: number, right: number) =>
    Uint8Array.of(0x53, 0x41, 0x43, 0x4B, 1, ...u32(left), ...u32(right));
  for (let right = 8193; right <= 20481; right += 4096) {
    h.peer({ flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: sack(4097, right) });
  }
  deepEqual(h.take().map((p) => p.seq), [1], "fast retransmit of the hole");
  const ssthresh = h.conn.metrics.ssthreshBytes;
  equal(h.conn.cwndBytes, ssthresh + 4 * 4096, "3 MSS plus one inflating duplicate");
  h.peer({ flags: FLAGS.ACK, seq: 1, ack: 20481, window: 512 });
  equal(h.conn.cwndBytes, ssthresh);
});
