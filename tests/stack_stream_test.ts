/**
 * Streams between two real stacks over two real tunnels on loopback: byte-exact echo both ways, with and
 * without encryption, directly and through a relay that drops, duplicates and reorders datagrams, and
 * many concurrent streams through one pair of stacks.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { OverlayConn, Stack } from "../lib/transport/mod.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { type Faults, readExactly, stackPair, testBytes, writeAll } from "./_helpers/stack_pair.ts";

const PORT = 3000;

/** Echoes every accepted connection until end of stream, then closes it. */
async function echoServer(stack: Stack, port: number, count: number): Promise<void> {
  const listener = stack.listen(port);
  const sessions: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const conn = await listener.accept();
      sessions.push((async () => {
        const buffer = new Uint8Array(65_536);
        try {
          for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
            await writeAll(conn, buffer.subarray(0, n));
          }
        } finally {
          conn.close();
        }
      })());
    }
    await Promise.all(sessions);
  } finally {
    listener.close();
  }
}

/** Sends `data` and reads the echo at the same time; returns the echo. */
async function echoRoundTrip(conn: OverlayConn, data: Uint8Array): Promise<Uint8Array> {
  const [, echoed] = await Promise.all([writeAll(conn, data), readExactly(conn, data.byteLength)]);
  conn.close();
  return echoed;
}

async function echoTest(encrypt: boolean, size: number, faults?: Faults, timeoutMs = 30_000): Promise<void> {
  await using pair = stackPair({ encrypt, faults });
  const server = echoServer(pair.b, PORT, 1);
  server.catch(() => {}); // a failure below closes the stacks under it; that rejection is not the news
  const data = testBytes(size, 7);
  const conn = await pair.a.dial(pair.addrB, PORT);
  assert.equal(conn.remoteAddr.port, PORT);
  assert.equal(conn.localAddr.port, 49152);
  const echoed = await withDeadline(echoRoundTrip(conn, data), timeoutMs, `echo of ${size} bytes`);
  assert.equal(echoed.byteLength, data.byteLength);
  assert.ok(echoed.every((byte, i) => byte === data[i]), "echo is byte-exact");
  await withDeadline(server, 10_000, "server side ends");
}

Deno.test("stack: a 10 MB echo on a custom port is byte-exact both ways (plaintext)", async () => {
  await echoTest(false, 10_000_000);
});

Deno.test("stack: a 10 MB echo on a custom port is byte-exact both ways (encrypted)", async () => {
  await echoTest(true, 10_000_000);
});

const LOSSY: Faults = { drop: 0.1, duplicate: 0.05, reorder: 0.05, seed: 42 };
// 2 MB rather than 10: at 10% loss each way recovery runs on retransmission timeouts often (each
// retransmission is itself lost 1 time in 10), so 10 MB takes well over a minute. 2 MB still spans
// hundreds of losses, duplicates and reorderings in each direction.
const LOSSY_BYTES = 2_000_000;

Deno.test("stack: an echo through a relay with 10% loss, 5% duplicates and reordering is byte-exact (plaintext)", async () => {
  await echoTest(false, LOSSY_BYTES, LOSSY, 30_000);
});

Deno.test("stack: an echo through a relay with 10% loss, 5% duplicates and reordering is byte-exact (encrypted)", async () => {
  await echoTest(true, LOSSY_BYTES, { ...LOSSY, seed: 43 }, 30_000);
});

Deno.test("stack: 100 concurrent streams of 1 MB each are byte-exact through one pair of stacks", async () => {
  await using pair = stackPair({ encrypt: false });
  const perSide = 50;
  const servers = [echoServer(pair.b, PORT, perSide), echoServer(pair.a, PORT, perSide)];
  for (const server of servers) server.catch(() => {});
  // Both sides dial, in waves of 10: a listener admits 10 SYNs per second from one source (§5.5.1), and
  // a refused SYN is retried after 1 s, so waves open the 100 connections in about 5 s.
  const conns: OverlayConn[] = [];
  await withDeadline(
    (async () => {
      for (let wave = 0; wave < perSide / 10; wave++) {
        const dials = [];
        for (let i = 0; i < 10; i++) {
          dials.push(pair.a.dial(pair.addrB, PORT), pair.b.dial(pair.addrA, PORT));
        }
        conns.push(...await Promise.all(dials));
      }
    })(),
    20_000,
    "100 dials",
  );
  assert.equal(conns.length, 2 * perSide);
  const results = await withDeadline(
    Promise.all(conns.map(async (conn, i) => {
      const data = testBytes(1_000_000, 100 + i);
      const echoed = await echoRoundTrip(conn, data);
      return echoed.byteLength === data.byteLength && echoed.every((byte, j) => byte === data[j]);
    })),
    40_000,
    "100 concurrent echoes",
  );
  assert.equal(results.filter((ok) => ok).length, 2 * perSide);
  await withDeadline(Promise.all(servers), 10_000, "server sessions end");
});
