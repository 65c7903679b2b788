// Two connection tables joined by a simulated link that drops, duplicates and reorders packets with a
// seeded generator: every byte must arrive exactly once and in order, and both sides must finish.

import { deepEqual, equal, ok } from "node:assert/strict";
import { decodeSack } from "../protocol/mod.ts";
import type { Packet } from "../protocol/mod.ts";
import { seededRandom, SimNet } from "./_sim.ts";
import type { LinkOptions } from "./_sim.ts";
import type { Connection } from "./connection.ts";
import { ConnectionTable } from "./connection_table.ts";
import type { TransportAction } from "./connection_table.ts";

const NODE_A = { network: 0, node: 1 };
const NODE_B = { network: 0, node: 2 };
const PORT = 1001;

interface TransferResult {
  received: Uint8Array;
  sim: SimNet;
  events: string[];
}

/** A writes `data` then closes; B reads until end-of-stream. Returns what B read. */
function transfer(
  data: Uint8Array,
  link: LinkOptions,
  maxSteps: number,
  onSend?: (packet: Packet) => void,
): TransferResult {
  const a = new ConnectionTable({ localAddress: NODE_A }, 0);
  const b = new ConnectionTable({ localAddress: NODE_B }, 0);
  b.listen(PORT);
  const chunks: Uint8Array[] = [];
  const events: string[] = [];
  let written = 0;
  const ends: { dialer?: Connection } = {};
  let server: Connection | undefined;
  let ended = false;
  const pushData = (now: number) => {
    const dialer = ends.dialer;
    if (dialer === undefined || dialer.state !== "established") return;
    while (written < data.byteLength) {
      const n = dialer.write(data.subarray(written, written + 100_000), now);
      written += n;
      if (n === 0) return;
    }
    dialer.close(now);
  };
  const sim = new SimNet(link, (node: number, action: TransportAction) => {
    events.push(`${node}:${action.type}${action.type === "event" ? `:${action.name}` : ""}`);
    if (node === NODE_A.node && (action.type === "established" || action.type === "writable")) {
      pushData(sim.nowMs);
    }
    if (node === NODE_B.node && action.type === "incoming") server = b.accept(PORT);
    if (node === NODE_B.node && action.type === "readable" && action.connection === server) {
      const taken = server.takeReceived();
      chunks.push(...taken);
      server.consumed(taken.reduce((n, c) => n + c.byteLength, 0), sim.nowMs);
      if (server.isReceiveEnded) ended = true;
    }
  });
  sim.onSend = onSend;
  sim.add(a);
  sim.add(b);
  ends.dialer = a.dial({ address: NODE_B, port: PORT }, 0);
  sim.runUntil(() => ended && a.size === 0 && b.size === 0, maxSteps);
  const received = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    received.set(c, at);
    at += c.byteLength;
  }
  return { received, sim, events };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const random = seededRandom(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * 256);
  return out;
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  equal(actual.byteLength, expected.byteLength, "byte count");
  for (let i = 0; i < expected.byteLength; i++) {
    if (actual[i] !== expected[i]) throw new Error(`first difference at byte ${i}`);
  }
}

Deno.test("transfer: 3 MB over a clean link arrive intact and both sides finish", () => {
  const data = randomBytes(3 * 1024 * 1024, 7);
  const { received, events, sim } = transfer(data, { delayMs: 5 }, 50_000);
  assertSameBytes(received, data);
  ok(sim.nowMs < 20_000, `finished at ${sim.nowMs} ms of simulated time`);
  ok(events.includes("2:event:conn.fin"), "the listener saw the FIN");
});

Deno.test("transfer: 3 MB survive 5% loss, 3% duplication and reordering, with close right after write", () => {
  for (const seed of [1, 2, 3]) {
    const data = randomBytes(3 * 1024 * 1024, seed);
    const { received, sim } = transfer(data, {
      seed,
      lossRate: 0.05,
      duplicateRate: 0.03,
      delayMs: 5,
      jitterMs: 8,
    }, 200_000);
    assertSameBytes(received, data);
    ok(sim.dropped > 50, `the link dropped ${sim.dropped} packets`);
  }
});

Deno.test("transfer: data that looks like SACK options is delivered, not swallowed (Q4)", () => {
  // Every 13 bytes: "SACK", count 1 and 8 block bytes — each one would parse as an option.
  const pattern = Uint8Array.of(0x53, 0x41, 0x43, 0x4B, 1, 0, 0, 0, 1, 0, 0, 0, 2);
  const data = new Uint8Array(13 * 5000);
  for (let i = 0; i < 5000; i++) data.set(pattern, i * 13);
  let dataSegments = 0;
  const { received } = transfer(data, { seed: 9, lossRate: 0.02, delayMs: 3, jitterMs: 4 }, 100_000, (p) => {
    if (p.srcPort === PORT || p.payload.byteLength === 0) return;
    dataSegments++;
    equal(decodeSack(p.payload), undefined, `segment at seq ${p.seq} parses as a SACK option`);
  });
  assertSameBytes(received, data);
  ok(dataSegments >= 16, `data went out in ${dataSegments} segments`);
});

Deno.test("transfer: a tiny write and close delivers the bytes before the FIN", () => {
  const data = new TextEncoder().encode("ping-1");
  const { received, events } = transfer(data, { seed: 4, delayMs: 2 }, 1_000);
  deepEqual(received, data);
  ok(events.indexOf("2:readable") < events.indexOf("2:event:conn.fin"));
});
