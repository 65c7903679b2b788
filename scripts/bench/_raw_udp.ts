/**
 * Raw UDP baselines measured in the same run as the overlay figures they are compared with: one-way
 * throughput at a given datagram size, and the round trip of a small datagram, each between this
 * process and a peer process (`_udp_peer.ts`).
 *
 * @module
 */

/** One-way throughput of the raw baseline. */
export interface RawOneWay {
  sent: number;
  received: number;
  mbPerSecond: number;
  loss: number;
}

async function startPeer(mode: "sink" | "echo") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-net", "--allow-net", new URL("./_udp_peer.ts", import.meta.url).pathname, mode],
    stdout: "piped",
    stdin: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const nextLine = async (): Promise<string> => {
    for (;;) {
      const newline = text.indexOf("\n");
      if (newline >= 0) {
        const line = text.slice(0, newline);
        text = text.slice(newline + 1);
        return line;
      }
      const { value, done } = await lines.read();
      if (done) throw new Error(`udp ${mode} peer ended early`);
      text += value;
    }
  };
  const port = Number(await nextLine());
  return { child, port, nextLine, lines };
}

/** Sends `size`-byte datagrams for `seconds` to a sink process and reports what arrived. */
export async function rawUdpOneWay(size: number, seconds: number): Promise<RawOneWay> {
  const peer = await startPeer("sink");
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: peer.port };
  const payload = new Uint8Array(size).fill(7);
  let sent = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    await socket.send(payload, to);
    sent++;
  }
  const report = JSON.parse(await peer.nextLine());
  socket.close();
  await peer.lines.cancel();
  await peer.child.status;
  return {
    sent,
    received: report.received,
    mbPerSecond: report.bytes / 1e6 / (Math.max(report.elapsedMs, 1) / 1000),
    loss: 1 - report.received / sent,
  };
}

/** Median and 95th percentile round trip (ms) of `count` sequential 64-byte datagrams to an echo process. */
export async function rawUdpRoundTrip(count: number): Promise<{ medianMs: number; p95Ms: number }> {
  const peer = await startPeer("echo");
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: peer.port };
  const payload = new Uint8Array(64).fill(1);
  const buffer = new Uint8Array(256);
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await socket.send(payload, to);
    await socket.receive(buffer);
    samples.push(performance.now() - start);
  }
  await socket.send(new Uint8Array([0]), to);
  socket.close();
  await peer.lines.cancel();
  await peer.child.status;
  return { medianMs: percentile(samples, 0.5), p95Ms: percentile(samples, 0.95) };
}

/** The `q` quantile of `samples` (nearest rank). */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
