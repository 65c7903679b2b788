/**
 * Control-ping round trips through the SDK (`Pilot.ping`: a control packet to port 0 and its pong,
 * §6.2) between two stacks over two real tunnels on loopback, plaintext and encrypted, next to a raw
 * UDP round trip of the same payload in the same run (one `Deno.listenDatagram` socket echoing to
 * another). Median and p95 in µs, and the ratio of medians.
 *
 * Usage: `deno task bench ping_rtt` (about 5 s).
 *
 * @module
 */

import { Pilot } from "../../lib/sdk/mod.ts";
import { Stack } from "../../lib/transport/mod.ts";
import { Tunnel } from "../../lib/tunnel/mod.ts";
import { printLine } from "../_out.ts";

const ROUNDS = 3000;
const PAYLOAD = new Uint8Array(16);

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(samples: number[]): { median: number; p95: number } {
  const sorted = [...samples].sort((x, y) => x - y);
  return { median: quantile(sorted, 0.5) * 1000, p95: quantile(sorted, 0.95) * 1000 };
}

async function rawRoundTrips(): Promise<number[]> {
  const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const buffer = new Uint8Array(2048);
    try {
      for (;;) {
        const [bytes, from] = await echo.receive(buffer);
        await echo.send(bytes, from);
      }
    } catch { /* closed */ }
  })();
  const samples: number[] = [];
  const buffer = new Uint8Array(2048);
  const frame = new Uint8Array(PAYLOAD.byteLength + 38); // the size of a PILT-framed ping
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await client.send(frame, echo.addr);
    await client.receive(buffer);
    samples.push(performance.now() - start);
  }
  echo.close();
  client.close();
  await serving;
  return samples;
}

async function pingRoundTrips(encrypt: boolean): Promise<number[]> {
  const ports = { a: 0, b: 0 };
  const stacks: { a?: Stack; b?: Stack } = {};
  const tb = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 2,
    encrypt,
    resolvePeer: () => Promise.resolve(`127.0.0.1:${ports.a}`),
    onPacket: (p, from) => stacks.b?.receive(p, from),
  });
  const ta = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    encrypt,
    resolvePeer: () => Promise.resolve(`127.0.0.1:${ports.b}`),
    onPacket: (p, from) => stacks.a?.receive(p, from),
  });
  ports.a = ta.localAddr.port;
  ports.b = tb.localAddr.port;
  stacks.a = new Stack({ localAddress: { network: 0, node: 1 }, send: (n, b) => ta.send(n, b) });
  stacks.b = new Stack({ localAddress: { network: 0, node: 2 }, send: (n, b) => tb.send(n, b) });
  const pilot = new Pilot(stacks.a);
  const samples: number[] = [];
  try {
    for (let i = 0; i < 20; i++) await pilot.ping("0:0000.0000.0002", { payload: PAYLOAD }); // keys, warm-up
    for (let i = 0; i < ROUNDS; i++) samples.push(await pilot.ping("0:0000.0000.0002", { payload: PAYLOAD }));
  } finally {
    await stacks.a.close();
    await stacks.b.close();
    await ta.close();
    await tb.close();
  }
  return samples;
}

const raw = summary(await rawRoundTrips());
printLine(`ping_rtt: ${ROUNDS} sequential round trips, ${PAYLOAD.byteLength} B payload`);
printLine(
  `  raw UDP round trip            median ${raw.median.toFixed(0).padStart(5)} µs  p95 ${
    raw.p95.toFixed(0).padStart(5)
  } µs`,
);
for (const encrypt of [false, true]) {
  const s = summary(await pingRoundTrips(encrypt));
  const mode = encrypt ? "encrypted" : "plaintext";
  printLine(
    `  SDK ping, ${mode.padEnd(10)}          median ${s.median.toFixed(0).padStart(5)} µs  p95 ${
      s.p95.toFixed(0).padStart(5)
    } µs  (${(s.median / raw.median).toFixed(1)}× raw)`,
  );
}
