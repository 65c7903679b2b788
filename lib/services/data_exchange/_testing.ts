/**
 * Test fixtures of this area (not exported from mod.ts): a service on a real TCP listener on
 * 127.0.0.1 port 0 over a fresh temp home, and raw-connection helpers for hostile clients.
 *
 * @module
 */

import { DataExchangeServer } from "./server.ts";
import type { DataExchangeServerOptions } from "./server.ts";
import { concatBytes } from "../../streams/mod.ts";

/** The address every test connection is taken to come from. */
export const TEST_PEER = { address: "0:0000.0000.0002", nodeId: 2 } as const;

/** A running service with its home; disposing stops it and removes the home. */
export interface TestService extends AsyncDisposable {
  home: string;
  addr: Deno.NetAddr;
  server: DataExchangeServer<Deno.TcpConn>;
  connect(): Promise<Deno.TcpConn>;
}

/** Starts the service on 127.0.0.1:0 over a fresh temp home (or `home`, which is then kept). */
export async function startTestService(
  options: Partial<DataExchangeServerOptions<Deno.TcpConn>> = {},
): Promise<TestService> {
  const ownHome = options.home === undefined;
  const home = options.home ?? await Deno.makeTempDir({ prefix: "dx-home-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = await DataExchangeServer.start(listener, { peerOf: () => TEST_PEER, ...options, home });
  return {
    home,
    addr: listener.addr,
    server,
    async connect() {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      conn.setNoDelay(true); // the client's two writes per frame would otherwise wait on delayed ACKs
      return conn;
    },
    async [Symbol.asyncDispose]() {
      await server.close();
      if (ownHome) await Deno.remove(home, { recursive: true });
    },
  };
}

/** Reads from `conn` until it ends; returns everything it sent. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of conn.readable) parts.push(chunk);
  return concatBytes(parts);
}

/** Reads exactly `n` bytes (or fewer if the peer closes first). */
export async function readExactly(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const next = await reader.read();
    if (next.done) return out.subarray(0, filled);
    const take = Math.min(n - filled, next.value.byteLength);
    out.set(next.value.subarray(0, take), filled);
    filled += take;
  }
  return out;
}

/** Regular, non-temp file names in `dir` (sorted); `[]` when it does not exist. */
export async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return names.sort();
}
