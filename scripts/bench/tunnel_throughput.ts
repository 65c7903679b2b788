/**
 * One-way throughput of the tunnel on loopback: packets of 4,130 bytes (a 4,096-byte segment plus its
 * 34-byte header) from one Tunnel to another, plaintext (PILT) and encrypted (PILS), printed next to
 * raw `Deno.listenDatagram` one-way throughput at the same datagram size to a peer process
 * (`_raw_udp.ts`), measured in the same run. Both tunnels live in this one process (one thread does
 * seal, send, receive and open for both), so the encrypted figure is a lower bound for two daemons on
 * two cores.
 *
 * Run: `deno run --unstable-net --allow-net --allow-read=. --allow-run scripts/bench/tunnel_throughput.ts
 * [seconds]`
 *
 * @module
 */

import { generateIdentity } from "../../lib/crypto/mod.ts";
import { encodePacket } from "../../lib/protocol/mod.ts";
import { Tunnel } from "../../lib/tunnel/mod.ts";
import { printLine } from "../_out.ts";
import { type RawOneWay, rawUdpOneWay } from "./_raw_udp.ts";

const PACKET_SIZE = 4130;
const SEGMENT = PACKET_SIZE - 34;
const SECONDS = Number(Deno.args[0] ?? 3);
const WINDOW = 64;
const LOOPBACK = "127.0.0.1";

interface Result {
  sent: number;
  received: number;
  bytes: number;
  elapsedMs: number;
}

/** Waits until `count()` reaches `target` or stops moving for 300 ms; returns when the last one came. */
async function settle(count: () => number, target: number, lastAt: () => number): Promise<number> {
  let seen = -1;
  let still = performance.now();
  for (let i = 0; i < 200 && count() < target; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    if (count() !== seen) {
      seen = count();
      still = performance.now();
    } else if (performance.now() - still > 300) break;
  }
  return lastAt();
}

async function tunnelRun(encrypt: boolean): Promise<Result> {
  let received = 0;
  let bytes = 0;
  let lastAt = 0;
  const aIdentity = generateIdentity();
  const bIdentity = generateIdentity();
  const b = new Tunnel({
    listen: { hostname: LOOPBACK, port: 0 },
    nodeId: 2,
    encrypt,
    identity: bIdentity,
    lookupIdentityKey: (id) => id === 1 ? aIdentity.publicKey : undefined,
    onPacket: (packet) => {
      received++;
      bytes += packet.payload.byteLength + 34;
      lastAt = performance.now();
    },
  });
  const bAddr = `${LOOPBACK}:${b.localAddr.port}`;
  const a = new Tunnel({
    listen: { hostname: LOOPBACK, port: 0 },
    nodeId: 1,
    encrypt,
    identity: aIdentity,
    lookupIdentityKey: (id) => id === 2 ? bIdentity.publicKey : undefined,
    resolvePeer: () => Promise.resolve(bAddr),
    plaintextFallback: false,
  });
  try {
    const packet = encodePacket({
      version: 1,
      flags: 0x2,
      protocol: 0x01,
      src: { network: 0, node: 1 },
      dst: { network: 0, node: 2 },
      srcPort: 49152,
      dstPort: 1000,
      seq: 0,
      ack: 0,
      window: 512,
      payload: new Uint8Array(SEGMENT).fill(9),
    });
    // Warm-up: the key exchange (and the first seals) finish before timing starts.
    await a.send(2, packet);
    for (let i = 0; i < 200 && received === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    received = 0;
    bytes = 0;
    const inFlight: Promise<void>[] = [];
    const start = performance.now();
    let sent = 0;
    while (performance.now() - start < SECONDS * 1000) {
      for (let i = 0; i < 64; i++, sent++) {
        inFlight.push(a.send(2, packet));
        if (inFlight.length >= WINDOW) await inFlight.shift();
      }
    }
    await Promise.all(inFlight);
    const end = await settle(() => received, sent, () => lastAt);
    return { sent, received, bytes, elapsedMs: end - start };
  } finally {
    await a.close();
    await b.close();
  }
}

function line(name: string, r: Result, raw: RawOneWay): string {
  const seconds = r.elapsedMs / 1000;
  const pps = r.received / seconds;
  const mbps = r.bytes / seconds / 1e6;
  const loss = r.sent === 0 ? 0 : (1 - r.received / r.sent) * 100;
  return `${name.padEnd(34)} ${pps.toFixed(0).padStart(7)} pkt/s ${mbps.toFixed(1).padStart(7)} MB/s  ` +
    `loss ${loss.toFixed(1).padStart(5)}%  (${r.received}/${r.sent})  ${
      (mbps / raw.mbPerSecond * 100).toFixed(0)
    }% of raw`;
}

function rawLine(name: string, raw: RawOneWay): string {
  return `${name.padEnd(34)} ${" ".repeat(13)} ${raw.mbPerSecond.toFixed(1).padStart(7)} MB/s  ` +
    `loss ${(raw.loss * 100).toFixed(1).padStart(5)}%  (${raw.received}/${raw.sent})`;
}

const raw = await rawUdpOneWay(PACKET_SIZE + 4, SECONDS);
const plain = await tunnelRun(false);
const sealed = await tunnelRun(true);
printLine(
  `tunnel one-way throughput, ${PACKET_SIZE}-byte packets, ${SECONDS} s per run, loopback, one process`,
);
printLine(rawLine(`raw listenDatagram (${PACKET_SIZE + 4} B)`, raw));
printLine(line("tunnel plaintext (PILT)", plain, raw));
printLine(line("tunnel encrypted (PILS, AES-GCM)", sealed, raw));
printLine(
  `MB counts packet bytes (header + segment); raw counts datagram bytes. Target (issue #7): >= 100 MB/s encrypted.`,
);
