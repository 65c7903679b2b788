/**
 * Two daemons as separate processes, driven over IPC as an application would: one-way stream
 * throughput with encryption on and off next to raw UDP one-way throughput at the tunnel's datagram
 * size, an echo-port ping next to a raw UDP round trip, and the daemons' memory idle and during a
 * transfer. Every baseline is measured in this same run.
 *
 * @module
 */

import { IpcClient } from "../../lib/ipc/mod.ts";
import { parseAddress, PORTS } from "../../lib/protocol/mod.ts";
import { startDaemon, type TestDaemon } from "../../tests/_helpers/daemon.ts";
import { printLine } from "../_out.ts";
import { percentile, rawUdpOneWay, rawUdpRoundTrip } from "./_raw_udp.ts";

const TRANSFER_BYTES = 50 * 1024 * 1024;
const PINGS = 200;

/** Resident memory of a daemon in MB, as its Info reports it. */
async function rssMb(daemon: TestDaemon): Promise<number> {
  await using ipc = await IpcClient.connect(daemon.socket);
  const info = await ipc.info();
  return Number(Reflect.get(info as object, "rss_bytes")) / 1e6;
}

async function oneWay(
  a: TestDaemon,
  b: TestDaemon,
  port: number,
): Promise<{ mbPerSecond: number; peakRssMb: number }> {
  await using server = await IpcClient.connect(b.socket);
  await using client = await IpcClient.connect(a.socket);
  await server.bind(port);
  const connId = await client.dial(parseAddress(b.address), port);
  const accepted = await server.accept(port);
  const chunk = new Uint8Array(1024 * 1024).fill(0x5a);
  let peak = 0;
  const sampler = setInterval(async () => {
    peak = Math.max(peak, await rssMb(a), await rssMb(b));
  }, 100);
  const start = performance.now();
  const sending = (async () => {
    for (let sent = 0; sent < TRANSFER_BYTES; sent += chunk.byteLength) await client.send(connId, chunk);
  })();
  let received = 0;
  while (received < TRANSFER_BYTES) {
    const data = await server.recv(accepted.connId);
    if (data === null) throw new Error(`stream ended after ${received} bytes`);
    received += data.byteLength;
  }
  const elapsed = performance.now() - start;
  clearInterval(sampler);
  await sending;
  await client.closeConnection(connId);
  return { mbPerSecond: TRANSFER_BYTES / 1e6 / (elapsed / 1000), peakRssMb: peak };
}

async function echoPings(a: TestDaemon, b: TestDaemon): Promise<{ medianMs: number; p95Ms: number }> {
  await using client = await IpcClient.connect(a.socket);
  const samples: number[] = [];
  for (let i = 0; i < PINGS; i++) {
    const start = performance.now();
    const connId = await client.dial(parseAddress(b.address), PORTS.ECHO);
    await client.send(connId, new TextEncoder().encode(`ping-${i}`));
    await client.recv(connId);
    samples.push(performance.now() - start);
    await client.closeConnection(connId);
  }
  return { medianMs: percentile(samples, 0.5), p95Ms: percentile(samples, 0.95) };
}

async function pair(encrypt: boolean) {
  const flags = ["-public", "-log-level", "info", ...(encrypt ? [] : ["-encrypt=false"])];
  const a = await startDaemon({ flags });
  const b = await startDaemon({ registry: String(a.ready.registry), beacon: String(a.ready.beacon), flags });
  return { a, b };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

const rawPils = await rawUdpOneWay(4166, 3);
const rawPilt = await rawUdpOneWay(4134, 3);
printLine(
  `raw UDP one-way, 4166 B datagrams (PILS size): ${fmt(rawPils.mbPerSecond)} MB/s, loss ${
    fmt(rawPils.loss * 100)
  }%`,
);
printLine(
  `raw UDP one-way, 4134 B datagrams (PILT size): ${fmt(rawPilt.mbPerSecond)} MB/s, loss ${
    fmt(rawPilt.loss * 100)
  }%`,
);
for (const encrypt of [true, false]) {
  const { a, b } = await pair(encrypt);
  try {
    const idleA = await rssMb(a);
    const run = await oneWay(a, b, 6000);
    const raw = encrypt ? rawPils : rawPilt;
    printLine(
      `daemon → daemon stream, ${encrypt ? "encrypted" : "plaintext"}, ${
        TRANSFER_BYTES / 1048576
      } MiB over IPC: ` +
        `${fmt(run.mbPerSecond)} MB/s = ${fmt((run.mbPerSecond / raw.mbPerSecond) * 100)}% of raw UDP; ` +
        `RSS idle ${fmt(idleA)} MB, peak during transfer ${fmt(run.peakRssMb)} MB`,
    );
    if (encrypt) {
      const pings = await echoPings(a, b);
      const rawRtt = await rawUdpRoundTrip(PINGS);
      printLine(
        `echo-port ping over IPC (dial, write, read, close): median ${fmt(pings.medianMs, 2)} ms, p95 ${
          fmt(pings.p95Ms, 2)
        } ms; ` +
          `raw UDP round trip median ${fmt(rawRtt.medianMs, 3)} ms (ratio ${
            fmt(pings.medianMs / rawRtt.medianMs)
          }×)`,
      );
    }
  } finally {
    await b.stop();
    await a.stop();
  }
}
