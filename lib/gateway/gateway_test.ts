import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../log.ts";
import { Gateway, type OverlayDialer } from "./gateway.ts";
import type { LoopbackAliases } from "./loopback_alias.ts";

// The overlay side of these tests is a real TCP server on 127.0.0.1 standing in for "the peer's port":
// the gateway only sees an OverlayStream, so its listeners, bridges and teardown run for real.

interface Peer extends AsyncDisposable {
  port: number;
  /** Overlay ports dialled, in order. */
  dialled: number[];
  dial: OverlayDialer;
}

/** A TCP echo server; `dial` connects to it whatever overlay port is asked for. */
function echoPeer(): Peer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const serving = (async () => {
    const pipes: Promise<void>[] = [];
    for await (const conn of listener) {
      conns.add(conn);
      pipes.push(conn.readable.pipeTo(conn.writable).catch(() => {}).finally(() => conns.delete(conn)));
    }
    await Promise.allSettled(pipes);
  })();
  const dialled: number[] = [];
  return {
    port: listener.addr.port,
    dialled,
    dial: async (_address, port) => {
      dialled.push(port);
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      return conn;
    },
    [Symbol.asyncDispose]: async () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // The pipe closed it already.
        }
      }
      await serving;
    },
  };
}

const NO_ALIASES: LoopbackAliases = { add: () => Promise.resolve(), remove: () => Promise.resolve() };

function freePort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = probe.addr;
  probe.close();
  return port;
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let filled = 0;
  while (filled < n) {
    const got = await conn.read(out.subarray(filled));
    if (got === null) throw new Error(`eof after ${filled} of ${n} bytes`);
    filled += got;
  }
  return out;
}

Deno.test("gateway: a TCP client on the mapped IP talks to the overlay port of the same number", async () => {
  await using peer = echoPeer();
  const port = freePort();
  await using gateway = new Gateway({
    subnet: "127.78.0.0/16",
    ports: [port],
    dial: peer.dial,
    aliases: NO_ALIASES,
  });
  const mapping = await gateway.map({ network: 0, node: 7 });
  assert.equal(mapping.localIp, "127.78.0.1");
  assert.deepEqual(gateway.boundPorts("127.78.0.1"), [port]);
  const conn = await Deno.connect({ hostname: "127.78.0.1", port });
  try {
    await conn.write(new TextEncoder().encode("hello"));
    assert.equal(new TextDecoder().decode(await readExactly(conn, 5)), "hello");
  } finally {
    conn.close();
  }
  assert.deepEqual(peer.dialled, [port]);
});

Deno.test("gateway: 4 MiB cross the bridge both ways intact (backpressure, no loss)", async () => {
  await using peer = echoPeer();
  const port = freePort();
  await using gateway = new Gateway({
    subnet: "127.78.0.0/16",
    ports: [port],
    dial: peer.dial,
    aliases: NO_ALIASES,
  });
  await gateway.map({ network: 0, node: 7 });
  const data = new Uint8Array(4 << 20);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 11)) & 0xFF;
  const conn = await Deno.connect({ hostname: "127.78.0.1", port });
  try {
    const [, back] = await Promise.all([
      (async () => {
        // write() may take fewer bytes than offered: count what it took.
        for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off, off + 64 * 1024));
      })(),
      readExactly(conn, data.length),
    ]);
    assert.deepEqual(back, data);
  } finally {
    conn.close();
  }
});

Deno.test("gateway: when the overlay side ends, the TCP client sees end of stream", async () => {
  const port = freePort();
  // A peer that answers once and closes.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode("bye"));
    conn.close();
  })();
  const dial: OverlayDialer = () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  await using gateway = new Gateway({ subnet: "127.78.0.0/16", ports: [port], dial, aliases: NO_ALIASES });
  await gateway.map({ network: 0, node: 9 });
  const conn = await Deno.connect({ hostname: "127.78.0.1", port });
  try {
    assert.equal(new TextDecoder().decode(await readExactly(conn, 3)), "bye");
    assert.equal(await conn.read(new Uint8Array(8)), null);
  } finally {
    conn.close();
    await served;
    listener.close();
  }
});

Deno.test("gateway: a failed dial closes the TCP connection", async () => {
  const port = freePort();
  const dial: OverlayDialer = () => Promise.reject(new Error("dial: daemon: connection refused"));
  const records: LogRecord[] = [];
  const logger = createLogger({ level: "debug", sink: (r) => records.push(r) });
  await using gateway = new Gateway({
    subnet: "127.78.0.0/16",
    ports: [port],
    dial,
    aliases: NO_ALIASES,
    logger,
  });
  await gateway.map({ network: 0, node: 9 });
  const conn = await Deno.connect({ hostname: "127.78.0.1", port });
  try {
    assert.equal(await conn.read(new Uint8Array(8)), null);
  } finally {
    conn.close();
  }
  assert.ok(records.some((r) => r.msg === "gateway dial failed" && r.attrs.port === port));
});

Deno.test("gateway: ports that cannot be bound are skipped; unmap frees the others", async () => {
  const holder = Deno.listen({ hostname: "127.78.0.1", port: 0 });
  const taken = holder.addr.port;
  const free = freePort();
  const added: string[] = [];
  const removed: string[] = [];
  const aliases: LoopbackAliases = {
    add: (ip) => (added.push(ip), Promise.resolve()),
    remove: (ip) => (removed.push(ip), Promise.resolve()),
  };
  const dial: OverlayDialer = () => Promise.reject(new Error("unused"));
  try {
    await using gateway = new Gateway({ subnet: "127.78.0.0/16", ports: [taken, free], dial, aliases });
    await gateway.map({ network: 0, node: 3 });
    assert.deepEqual(gateway.boundPorts("127.78.0.1"), [free]);
    assert.deepEqual(added, ["127.78.0.1"]);
    const gone = await gateway.unmap("127.78.0.1");
    assert.equal(gone.address.node, 3);
    assert.deepEqual(removed, ["127.78.0.1"]);
    assert.deepEqual(gateway.list(), []);
    await assert.rejects(Deno.connect({ hostname: "127.78.0.1", port: free }), Deno.errors.ConnectionRefused);
    await assert.rejects(gateway.unmap("127.78.0.1"), { message: "no mapping for 127.78.0.1" });
  } finally {
    holder.close();
  }
});

Deno.test("gateway: stop closes live bridges, listeners and aliases; a stopped gateway maps nothing", async () => {
  await using peer = echoPeer();
  const port = freePort();
  const removed: string[] = [];
  const aliases: LoopbackAliases = {
    add: () => Promise.resolve(),
    remove: (ip) => (removed.push(ip), Promise.resolve()),
  };
  const gateway = new Gateway({ subnet: "127.78.0.0/16", ports: [port], dial: peer.dial, aliases });
  await gateway.map({ network: 0, node: 1 });
  await gateway.map({ network: 0, node: 2 });
  const conn = await Deno.connect({ hostname: "127.78.0.2", port });
  try {
    await conn.write(new Uint8Array([1, 2, 3]));
    await readExactly(conn, 3);
    await gateway.close();
    assert.equal(await conn.read(new Uint8Array(8)), null, "the bridged connection was closed");
  } finally {
    conn.close();
  }
  assert.deepEqual(removed.sort(), ["127.78.0.1", "127.78.0.2"]);
  await assert.rejects(gateway.map({ network: 0, node: 3 }), { code: "service_gateway_closed" });
  await gateway.close();
});

Deno.test("gateway: a bad subnet fails creation with the reference's text", () => {
  const dial: OverlayDialer = () => Promise.reject(new Error("unused"));
  assert.throws(() => new Gateway({ subnet: "bogus", dial }), {
    code: "service_gateway_bad_subnet",
    message: "parse subnet: invalid CIDR address: bogus",
  });
});

Deno.test("gateway: connections beyond the limit are closed at once", async () => {
  await using peer = echoPeer();
  const port = freePort();
  await using gateway = new Gateway({
    subnet: "127.78.0.0/16",
    ports: [port],
    dial: peer.dial,
    aliases: NO_ALIASES,
    maxConnections: 1,
  });
  await gateway.map({ network: 0, node: 1 });
  const first = await Deno.connect({ hostname: "127.78.0.1", port });
  const second = await Deno.connect({ hostname: "127.78.0.1", port });
  try {
    await first.write(new Uint8Array([9]));
    assert.deepEqual(await readExactly(first, 1), new Uint8Array([9]));
    assert.equal(await second.read(new Uint8Array(1)), null);
  } finally {
    first.close();
    second.close();
  }
});
