/**
 * Registry throughput over loopback: registrations/s and lookups/s with 1, 8 and 32 concurrent clients
 * (each its own TCP connection and `RegistryClient`), next to the raw request/response rate of the same
 * run: a trivial length-prefixed echo server answering the same client with the same frames. The ratio
 * is what the registry's handling (JSON, KV commit, signature-free paths) costs per request.
 *
 * Usage: `deno task bench registry_throughput` (about 12 s).
 *
 * @module
 */

import { RegistryClient } from "../../lib/registry/client.ts";
import { lookup, register } from "../../lib/registry/client_calls.ts";
import { startRegistry } from "../../lib/registry/mod.ts";
import { printLine } from "../_out.ts";

const DURATION_MS = 1000;
const CONCURRENCY = [1, 8, 32];

/** An echo server for length-prefixed frames: reads whole frames and writes them back. */
function startEcho(): { port: number; close: () => Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    const tasks: Promise<void>[] = [];
    for await (const conn of listener) {
      conns.add(conn);
      tasks.push((async () => {
        const buf = new Uint8Array(65536);
        try {
          for (;;) {
            const n = await conn.read(buf);
            if (n === null) break;
            // Requests are sequential per connection, so each read is whole frames to send back.
            for (let off = 0; off < n;) off += await conn.write(buf.subarray(off, n));
          }
        } catch {
          // Closed at shutdown.
        } finally {
          conns.delete(conn);
        }
      })());
    }
    await Promise.allSettled(tasks);
  })();
  return {
    port: listener.addr.port,
    close: async () => {
      listener.close();
      for (const c of conns) c.close();
      await serving;
    },
  };
}

async function rate(
  clients: RegistryClient[],
  op: (client: RegistryClient, i: number) => Promise<unknown>,
): Promise<number> {
  let count = 0;
  const until = performance.now() + DURATION_MS;
  const started = performance.now();
  await Promise.all(clients.map(async (client, c) => {
    for (let i = 0; performance.now() < until; i++) {
      await op(client, c * 1_000_000 + i);
      count++;
    }
  }));
  return count / ((performance.now() - started) / 1000);
}

function key(i: number): string {
  const bytes = new Uint8Array(32);
  new DataView(bytes.buffer).setUint32(0, i);
  bytes[31] = 0x5a;
  return bytes.toBase64();
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pilot-bench-registry-" });
  await using registry = await startRegistry({
    addr: "127.0.0.1:0",
    store: `${dir}/registry.kv`,
    rateLimit: { capacity: 1e12, refill: 1e12 },
  });
  const echo = startEcho();
  printLine(`registry throughput over loopback, ${DURATION_MS} ms per figure (KV file in ${dir})`);
  printLine("clients | register/s | lookup/s | raw echo rtt/s | register/raw | lookup/raw");
  let nextKey = 0;
  try {
    for (const n of CONCURRENCY) {
      const open = (port: number) =>
        Promise.all(
          Array.from({ length: n }, () => RegistryClient.connect({ address: `127.0.0.1:${port}` })),
        );
      const regClients = await open(registry.addr.port);
      const echoClients = await open(echo.port);
      try {
        const registers = await rate(
          regClients,
          (c) => register(c, { publicKey: key(nextKey++), listenAddr: "127.0.0.1:1" }),
        );
        const lookups = await rate(regClients, (c, i) => lookup(c, 1 + (i % Math.max(1, nextKey))));
        // The echo answers with the request itself, so the client sees a well-formed reply.
        const raw = await rate(echoClients, (c, i) => c.request({ type: "lookup", node_id: 1 + i % 1000 }));
        printLine(
          `${String(n).padStart(7)} | ${registers.toFixed(0).padStart(10)} | ${
            lookups.toFixed(0).padStart(8)
          } | ` +
            `${raw.toFixed(0).padStart(14)} | ${(registers / raw).toFixed(2).padStart(12)} | ${
              (lookups / raw).toFixed(2).padStart(10)
            }`,
        );
      } finally {
        await Promise.all([...regClients, ...echoClients].map((c) => c.close()));
      }
    }
  } finally {
    await echo.close();
    await registry.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
