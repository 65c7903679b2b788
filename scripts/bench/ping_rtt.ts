/**
 * Control-ping round trips through the SDK (`Pilot.ping`: a control packet to port 0 and its pong,
 * §6.2) between two stacks over two real tunnels on loopback, plaintext and encrypted, next to a raw
 * UDP round trip of the same payload in the same run (one `Deno.listenDatagram` socket echoing to
 * another). Median and p95 in µs, and the ratio of medians.
 *
 * Each run is `ROUNDS` sequential round trips on fresh tunnels; a figure is the median over `--runs=N`
 * runs (default 5, `_runs.ts`) of each run's median, and the p95 beside it is the median of the runs'
 * p95s. Each round measures the raw baseline, then plaintext, then encrypted, so all three share the
 * machine's load of the moment. Both modes are judged against the issue's target: median ≤ 1 ms and
 * ≤ 3× the raw round trip.
 *
 * Usage: `deno task bench ping_rtt` (about 5 s).
 *
 * @module
 */

import { Pilot } from "../../lib/sdk/mod.ts";
import { Stack } from "../../lib/transport/mod.ts";
import { Tunnel } from "../../lib/tunnel/mod.ts";
import { printLine } from "../_out.ts";
import { percentile } from "./_raw_udp.ts";
import { atMost, printComparison, repeatInRounds, runCount, summarize } from "./_runs.ts";

const ROUNDS = 2000;
const PAYLOAD = new Uint8Array(16);
const MICROSECONDS = { name: "µs", digits: 0 };

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

/** Each run's median round trip in µs; each run's p95 is kept in `p95s`. */
function medianOfRun(p95s: number[], roundTrips: () => Promise<number[]>): () => Promise<number> {
  return async () => {
    const samples = await roundTrips();
    p95s.push(percentile(samples, 0.95) * 1000);
    return percentile(samples, 0.5) * 1000;
  };
}

const runs = runCount();
const rawP95s: number[] = [];
const plaintextP95s: number[] = [];
const encryptedP95s: number[] = [];
const [raw, plaintext, encrypted] = await repeatInRounds(runs, [
  medianOfRun(rawP95s, rawRoundTrips),
  medianOfRun(plaintextP95s, () => pingRoundTrips(false)),
  medianOfRun(encryptedP95s, () => pingRoundTrips(true)),
]);
const p95 = (samples: number[]) => `p95 ${summarize(samples).median.toFixed(0)} µs`;
printLine(`ping_rtt: ${ROUNDS} sequential round trips a run, ${PAYLOAD.byteLength} B payload, ${runs} runs`);
const modes = [
  { mode: "plaintext", ours: plaintext, p95s: plaintextP95s },
  { mode: "encrypted", ours: encrypted, p95s: encryptedP95s },
];
for (const { mode, ours, p95s } of modes) {
  printComparison({
    label: `SDK ping, ${mode}, median (${p95(p95s)})`,
    ours,
    unit: MICROSECONDS,
    baselineLabel: `raw UDP round trip (${p95(rawP95s)})`,
    baseline: raw,
    ratio: "times",
    bounds: [atMost(1000, "≤ 1 ms"), atMost(3 * raw.median, "≤ 3× raw")],
  });
}
