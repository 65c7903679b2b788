/**
 * Stream throughput on the SDK path: `Pilot.dial` → `conn.write` on one node, `listener.accept` →
 * `conn.read` on the other, each node a Stack over its own real Tunnel on loopback, plaintext and
 * encrypted; once in one process and once with the receiver in a child process (`deno run` under the
 * daemon's permission flags). Next to it, in the same run, raw `Deno.listenDatagram` one-way throughput
 * to a peer process (`_raw_udp.ts`) with datagrams of a full segment's size (4096 payload + 34 header +
 * 4 PILT magic), one send awaited at a time; the ratio says what the stack, tunnel and crypto cost.
 *
 * Usage: `deno task bench stream_throughput` (about 15 s). MB = 10^6 bytes. Run directly, the script takes
 * filters so one case can be profiled: `--cases one-plain,two-plain,one-enc,two-enc` (default: all) and
 * `--no-raw` (skips the raw UDP baseline), `--child-prof=DIR` (a CPU profile of the child),
 * `--stats` (the sender's connection counters once the last write is taken).
 *
 * @module
 */

import { permissionFlags } from "../../lib/permissions.ts";
import { Pilot } from "../../lib/sdk/mod.ts";
import { Stack } from "../../lib/transport/mod.ts";
import { Tunnel } from "../../lib/tunnel/mod.ts";
import { printLine } from "../_out.ts";
import { rawUdpOneWay } from "./_raw_udp.ts";

const BYTES = 40_000_000;
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

/** `--child-prof=DIR`: the child writes a V8 CPU profile into DIR (the parent's own is `--cpu-prof`). */
function childProfileFlags(): string[] {
  const dir = Deno.args.find((a) => a.startsWith("--child-prof="))?.slice("--child-prof=".length);
  return dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`];
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
      ...childProfileFlags(),
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

/** Raw one-way UDP to a peer process for 3 s: MB/s of datagram bytes received. */
async function rawUdp(): Promise<number> {
  const raw = await rawUdpOneWay(DATAGRAM_BYTES, 3);
  printLine(
    `raw udp one-way: ${raw.sent} datagrams of ${DATAGRAM_BYTES} B, loss ${(raw.loss * 100).toFixed(1)}%`,
  );
  return raw.mbPerSecond;
}

async function main(): Promise<void> {
  if (Deno.args[0] === "--child") {
    await child(Deno.args[1] === "true", Number(Deno.args[2]));
    return;
  }
  const casesArg = Deno.args.find((a) => a.startsWith("--cases="));
  const cases = new Set(
    (casesArg?.slice("--cases=".length) ?? "one-plain,two-plain,one-enc,two-enc").split(","),
  );
  const raw = Deno.args.includes("--no-raw") ? Number.NaN : await rawUdp();
  printLine(`stream_throughput: ${BYTES / 1e6} MB one way, SDK write → read`);
  printLine(`  raw Deno.listenDatagram one-way             ${raw.toFixed(1).padStart(7)} MB/s`);
  for (const encrypt of [false, true]) {
    const mode = encrypt ? "encrypted" : "plaintext";
    const tag = encrypt ? "enc" : "plain";
    if (cases.has(`one-${tag}`)) {
      const one = await inProcess(encrypt);
      printLine(
        `  one process, ${mode.padEnd(10)}                 ${one.toFixed(1).padStart(7)} MB/s  (${
          (one / raw * 100).toFixed(0)
        }% of raw)`,
      );
    }
    if (cases.has(`two-${tag}`)) {
      const two = await twoProcesses(encrypt);
      printLine(
        `  two processes, ${mode.padEnd(10)}               ${two.toFixed(1).padStart(7)} MB/s  (${
          (two / raw * 100).toFixed(0)
        }% of raw)`,
      );
    }
  }
}

await main();
