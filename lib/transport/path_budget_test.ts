// The in-flight budget shared by every connection to one peer: accounting, FIFO turns, and twenty
// connections through a simulated link that together never exceed it and all finish.

import { deepEqual, equal, ok } from "node:assert/strict";
import { seqDiff } from "../protocol/mod.ts";
import { SimNet } from "./_sim.ts";
import type { Connection } from "./connection.ts";
import { ConnectionTable } from "./connection_table.ts";
import { MSS } from "./constants.ts";
import { PATH_FLIGHT_LIMIT_BYTES, PathBudget } from "./path_budget.ts";

Deno.test("path budget: members wait in FIFO turns and a leaving member gives back what it held", () => {
  const budget = new PathBudget(100);
  const a = {}, b = {}, c = {};
  const resumed: string[] = [];
  budget.add(a, 60);
  budget.add(b, 40);
  equal(budget.hasRoom(), false);
  budget.wait(c, () => resumed.push("c"));
  budget.wait(b, () => resumed.push("b"));
  budget.wait(c, () => resumed.push("c again")); // one registration per member
  budget.release(a, 10, 0);
  deepEqual(resumed, ["c", "b"], "both resumed: neither took the room back");
  budget.add(c, 10);
  equal(budget.inFlightBytes, 100);
  budget.release(b, 1_000, 0); // never more than it held
  equal(budget.inFlightBytes, 60);
  budget.leave(a, 0);
  equal(budget.inFlightBytes, 10);
  budget.leave(c, 0);
  equal(budget.inFlightBytes, 0);
});

Deno.test("path budget: twenty connections to one peer share it and all deliver every byte", () => {
  const NODE_A = { network: 0, node: 1 };
  const NODE_B = { network: 0, node: 2 };
  const STREAMS = 20;
  const BYTES = 200_000;
  const a = new ConnectionTable({ localAddress: NODE_A }, 0);
  const b = new ConnectionTable({ localAddress: NODE_B }, 0);
  b.listen(1001);
  const dialled: Connection[] = [];
  const written = new Map<Connection, number>();
  const received = new Map<Connection, number>();
  const data = new Uint8Array(BYTES).fill(7);
  const push = (conn: Connection, now: number) => {
    let sent = written.get(conn) ?? 0;
    while (sent < BYTES) {
      const n = conn.write(data.subarray(sent), now);
      if (n === 0) break;
      sent += n;
    }
    written.set(conn, sent);
    if (sent === BYTES) conn.close(now);
  };
  const sim = new SimNet({ delayMs: 1 }, (node, action) => {
    if (node === 1 && (action.type === "established" || action.type === "writable")) {
      push(action.connection, sim.nowMs);
    }
    if (node === 2 && action.type === "incoming") {
      for (let conn = b.accept(1001); conn !== undefined; conn = b.accept(1001)) received.set(conn, 0);
    }
    if (node === 2 && action.type === "readable") {
      const chunks = action.connection.takeReceived();
      const n = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      received.set(action.connection, (received.get(action.connection) ?? 0) + n);
      action.connection.consumed(n, sim.nowMs);
    }
  });
  // Bytes in flight on the wire: highest new byte sent minus highest ACK, per connection, summed.
  const highest = new Map<number, number>();
  const acked = new Map<number, number>();
  let peak = 0;
  sim.onSend = (packet) => {
    if (packet.src.node === 1 && packet.payload.byteLength > 0) {
      const end = packet.seq + packet.payload.byteLength;
      highest.set(packet.srcPort, Math.max(highest.get(packet.srcPort) ?? 0, end));
    } else if (packet.src.node === 2) {
      acked.set(packet.dstPort, Math.max(acked.get(packet.dstPort) ?? 0, packet.ack));
    }
    let sum = 0;
    for (const [port, end] of highest) sum += Math.max(0, seqDiff(end, acked.get(port) ?? 1));
    peak = Math.max(peak, sum);
  };
  sim.add(a);
  sim.add(b);
  for (let i = 0; i < STREAMS; i++) dialled.push(a.dial({ address: NODE_B, port: 1001 }, 0));
  sim.runUntil(
    () => received.size === STREAMS && [...received.values()].every((n) => n === BYTES) && a.size === 0,
    2_000_000,
  );
  ok(
    peak <= PATH_FLIGHT_LIMIT_BYTES + MSS, // sending goes on while below it, as with a window
    `peak in flight ${peak} B over the ${PATH_FLIGHT_LIMIT_BYTES} B budget`,
  );
  ok(peak >= PATH_FLIGHT_LIMIT_BYTES / 2, `the budget was used (${peak} B)`);
  equal(dialled.length, STREAMS);
});
