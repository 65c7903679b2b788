/**
 * The far end of the raw UDP baselines, run as its own process so a baseline crosses processes the way
 * two daemons do. `sink` counts what arrives and reports once traffic has stopped for 300 ms; `echo`
 * sends every datagram back. It prints its port as the first stdout line.
 *
 * Usage: `deno run --unstable-net --allow-net scripts/bench/_udp_peer.ts sink|echo`.
 *
 * @module
 */

import { printLine } from "../_out.ts";

const mode = Deno.args[0];
const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
const addr = socket.addr as Deno.NetAddr;
printLine(String(addr.port));
const buffer = new Uint8Array(65536);
if (mode === "echo") {
  for (;;) {
    const [data, from] = await socket.receive(buffer);
    if (data.byteLength === 1 && data[0] === 0) break; // the stop datagram
    await socket.send(data, from);
  }
} else {
  let received = 0;
  let bytes = 0;
  let first = 0;
  let last = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const report = () => {
    printLine(JSON.stringify({ received, bytes, elapsedMs: last - first }));
    socket.close();
  };
  try {
    for (;;) {
      const [data] = await socket.receive(buffer);
      const now = performance.now();
      if (received === 0) first = now;
      received++;
      bytes += data.byteLength;
      last = now;
      clearTimeout(idle);
      idle = setTimeout(report, 300);
    }
  } catch {
    // closed by report(): done
  }
}
