/**
 * Stream throughput on the SDK path: `Pilot.dial` → `conn.write` on one node, `listener.accept` →
 * `conn.read` on the other, each node a Stack over its own real Tunnel on loopback, plaintext and
 * encrypted; once in one process and once with the receiver in a child process (`deno run` under the
 * daemon's permission flags). Next to it, in the same run, raw `Deno.listenDatagram` one-way throughput
 * to a peer process (`_raw_udp.ts`) with datagrams of a full segment's size (4096 payload + 34 header +
 * 4 PILT magic), one send awaited at a time; the ratio says what the stack, tunnel and crypto cost.
 *
 * Every figure is the median of `--runs=N` runs (default 5, `_runs.ts`) of 100 MB (10^8 bytes) each,
 * the raw baseline too (1 s a run); each round runs the baseline and then every case, so all of them
 * share the machine's load of the moment. The two-process cases are the headline and are judged
 * against its targets: encrypted ≥ 100 MB/s and ≥ 25% of raw, plaintext ≥ 40% of raw. The one-process
 * cases have no target; they show how much of the cost is crossing processes.
 *
 * Usage: `deno task bench stream_throughput` (about 60–90 s with 5 runs). MB = 10^6 bytes. Run directly,
 * the script takes filters so one case can be profiled: `--cases one-plain,two-plain,one-enc,two-enc`
 * (default: all) and `--no-raw` (skips the raw UDP baseline), `--child-prof=DIR` (a CPU profile of the
 * child), `--stats` (the sender's connection counters once the last write is taken, every run).
 *
 * @module
 */

import { permissionFlags } from "../../lib/permissions.ts";
import { Pilot } from "../../lib/sdk/mod.ts";
import { Stack } from "../../lib/transport/mod.ts";
import { Tunnel } from "../../lib/tunnel/mod.ts";
import { printLine } from "../_out.ts";
import { profileFlags } from "./_profile.ts";
import { rawUdpOneWay } from "./_raw_udp.ts";
import {
  atLeast,
  type Bound,
  formatSeries,
  printComparison,
  repeatInRounds,
  runCount,
  type Series,
} from "./_runs.ts";

const BYTES = 100_000_000;
const RAW_SECONDS = 1;
const DATAGRAM_BYTES = 4096 + 34 + 4;
const PORT = 3000;
const ENCODER = new TextEncoder();

interface Node {
  tunnel: Tunnel;
  stack: Stack;
  pilot: Pilot;
  close(): Promise<void>;
}

function node(id: number, encrypt: boolean, peerPort: () => number): Node {
  const holder: { stack?: Stack } = {};
  const tunnel = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: id,
    encrypt,
    resolvePeer: () => Promise.resolve(`127.0.0.1:${peerPort()}`),
    onPacket: (packet, from) => holder.stack?.receive(packet, from),
  });
  const stack = new Stack({ localAddress: { network: 0, node: id }, send: (n, b) => tunnel.send(n, b) });
  holder.stack = stack;
  return {
    tunnel,
    stack,
    pilot: new Pilot(stack),
    close: async () => {
      await stack.close();
      await tunnel.close();
    },
  };
}

/** Accepts one connection and reads it to the end; resolves with the byte count. */
async function sink(pilot: Pilot): Promise<number> {
  using listener = pilot.listen({ port: PORT });
  const conn = await listener.accept();
  const buffer = new Uint8Array(256 * 1024);
  let total = 0;
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) total += n;
  conn.close();
  return total;
}

/** Writes BYTES to node 2 and closes; resolves when the write side is done. */
async function source(pilot: Pilot, stack: Stack): Promise<void> {
  const conn = await pilot.dial({ network: 0, node: 2 }, PORT);
  const chunk = new Uint8Array(64 * 1024).fill(0x5A);
  for (let sent = 0; sent < BYTES;) {
    const n = await conn.write(chunk.subarray(0, Math.min(chunk.byteLength, BYTES - sent)));
    sent += n;
  }
  if (Deno.args.includes("--stats")) {
    for (const row of stack.connections()) {
      const { cong_win, ssthresh, srtt_ms, segs_sent, segs_recv, retransmits, fast_retx, sack_recv } = row;
      printLine(
        `  sender: ${
          JSON.stringify({
            cong_win,
            ssthresh,
            srtt_ms,
            segs_sent,
            segs_recv,
            retransmits,
            fast_retx,
            sack_recv,
          })
        }`,
      );
    }
  }
  conn.close(); // FIN once everything is acknowledged (Q17)
}

async function inProcess(encrypt: boolean): Promise<number> {
  const ports = { a: 0, b: 0 };
  const b = node(2, encrypt, () => ports.a);
  const a = node(1, encrypt, () => ports.b);
  ports.a = a.tunnel.localAddr.port;
  ports.b = b.tunnel.localAddr.port;
  try {
    const received = sink(b.pilot);
    const start = performance.now();
    await source(a.pilot, a.stack);
    const total = await received;
    const ms = performance.now() - start;
    if (total !== BYTES) throw new Error(`received ${total} of ${BYTES} bytes`);
    return BYTES / 1e6 / (ms / 1000);
  } finally {
    await a.close();
    await b.close();
  }
}

/** The child: node 2 as a sink; prints its tunnel port, then the byte count when done. */
async function child(encrypt: boolean, parentPort: number): Promise<void> {
  const b = node(2, encrypt, () => parentPort);
  const received = sink(b.pilot);
  await Deno.stdout.write(ENCODER.encode(`${b.tunnel.localAddr.port}\n`));
  const total = await received;
  await Deno.stdout.write(ENCODER.encode(`${total}\n`));
  await b.close();
}

async function twoProcesses(encrypt: boolean): Promise<number> {
  const ports = { b: 0 };
  const a = node(1, encrypt, () => ports.b);
  const script = new URL(import.meta.url).pathname;
  const repo = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
  // The daemon's own flags; the child reads the repository's sources instead of a pilot home.
  const flags = permissionFlags("daemon", { home: repo, socket: `${repo}/.bench.sock`, read: [repo] });
  const proc = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...profileFlags("child-prof"),
      ...flags,
      script,
      "--child",
      String(encrypt),
      String(a.tunnel.localAddr.port),
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines = proc.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const at = buffered.indexOf("\n");
      if (at >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) throw new Error("child ended early");
      buffered += value;
    }
  };
  try {
    ports.b = Number(await nextLine());
    const start = performance.now();
    await source(a.pilot, a.stack);
    const total = Number(await nextLine());
    const ms = performance.now() - start;
    if (total !== BYTES) throw new Error(`child received ${total} of ${BYTES} bytes`);
    return BYTES / 1e6 / (ms / 1000);
  } finally {
    await lines.cancel().catch(() => {});
    await proc.status;
    await a.close();
  }
}

const MB_PER_SECOND = { name: "MB/s", digits: 1 };

/** The targets for the two-process (headline) cases. */
function targets(encrypt: boolean, raw: Series): Bound[] {
  return encrypt
    ? [atLeast(100, "≥ 100 MB/s"), atLeast(0.25 * raw.median, "≥ 25% of raw")]
    : [atLeast(0.4 * raw.median, "≥ 40% of raw")];
}

interface Case {
  label: string;
  measure: () => Promise<number>;
  /** Two-process cases are held to the targets. */
  isHeadline: boolean;
  encrypt: boolean;
}

function selectedCases(): Case[] {
  const casesArg = Deno.args.find((a) => a.startsWith("--cases="));
  const wanted = new Set(
    (casesArg?.slice("--cases=".length) ?? "one-plain,two-plain,one-enc,two-enc").split(","),
  );
  const cases: Case[] = [];
  for (const encrypt of [false, true]) {
    const mode = encrypt ? "encrypted" : "plaintext";
    const tag = encrypt ? "enc" : "plain";
    if (wanted.has(`one-${tag}`)) {
      cases.push({
        label: `one process, ${mode}`,
        measure: () => inProcess(encrypt),
        isHeadline: false,
        encrypt,
      });
    }
    if (wanted.has(`two-${tag}`)) {
      cases.push({
        label: `two processes, ${mode}`,
        measure: () => twoProcesses(encrypt),
        isHeadline: true,
        encrypt,
      });
    }
  }
  return cases;
}

async function main(): Promise<void> {
  if (Deno.args[0] === "--child") {
    await child(Deno.args[1] === "true", Number(Deno.args[2]));
    return;
  }
  const runs = runCount();
  const cases = selectedCases();
  const withRaw = !Deno.args.includes("--no-raw");
  const losses: number[] = [];
  const rawOnce = async () => {
    const raw = await rawUdpOneWay(DATAGRAM_BYTES, RAW_SECONDS);
    losses.push(raw.loss);
    return raw.mbPerSecond;
  };
  // Each round measures the raw baseline and then every case, so all of them share a round's load.
  const series = await repeatInRounds(runs, [...(withRaw ? [rawOnce] : []), ...cases.map((c) => c.measure)]);
  const raw = withRaw ? series.shift() : undefined;
  printLine(`stream_throughput: ${BYTES / 1e6} MB one way, SDK write → read, median of ${runs} runs`);
  if (raw !== undefined) {
    printLine(
      `raw UDP one-way baseline: ${DATAGRAM_BYTES} B datagrams, ${RAW_SECONDS} s a run, loss up to ${
        (Math.max(...losses) * 100).toFixed(1)
      }%`,
    );
  }
  for (const [i, c] of cases.entries()) {
    if (raw === undefined) {
      printLine(`${c.label}: ${formatSeries(series[i], MB_PER_SECOND)}`);
      continue;
    }
    printComparison({
      label: c.label,
      ours: series[i],
      unit: MB_PER_SECOND,
      baselineLabel: "raw UDP one-way",
      baseline: raw,
      ratio: "percent",
      bounds: c.isHeadline ? targets(c.encrypt, raw) : undefined,
    });
  }
}

await main();
