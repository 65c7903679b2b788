/**
 * Listener and connection edges over two real stacks: close during a pending accept, iteration after
 * close, port reuse, close after write, refused and timed-out dials, and an idle stack with no timer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { Stack } from "../lib/transport/mod.ts";
import { UdpEndpoint } from "../lib/tunnel/mod.ts";
import { Tunnel } from "../lib/tunnel/mod.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { readAll, readExactly, stackPair, testBytes, writeAll } from "./_helpers/stack_pair.ts";

Deno.test("stack listener: close() while accept() is pending settles it", async () => {
  await using pair = stackPair({ encrypt: false });
  const listener = pair.b.listen(4000);
  const pending = listener.accept();
  listener.close();
  await assert.rejects(pending, (err) => isPilotError(err, "transport_listener_closed"));
  listener.close(); // idempotent
});

Deno.test("stack listener: iteration after close ends at once, and the port can be bound again", async () => {
  await using pair = stackPair({ encrypt: false });
  const listener = pair.b.listen(4000);
  listener.close();
  let seen = 0;
  for await (const _ of listener) seen++;
  assert.equal(seen, 0);
  using again = pair.b.listen(4000);
  assert.equal(again.addr.port, 4000);
});

Deno.test("stack listener: binding a bound port fails with the spec's text", async () => {
  await using pair = stackPair({ encrypt: false });
  using _listener = pair.b.listen(4000);
  assert.throws(() => pair.b.listen(4000), { message: "port 4000 already bound" });
});

Deno.test("stack listener: leaving a for-await loop closes the listener", async () => {
  await using pair = stackPair({ encrypt: false });
  const listener = pair.b.listen(4000);
  const dialled = pair.a.dial(pair.addrB, 4000);
  for await (const conn of listener) {
    assert.equal(conn.remoteAddr.address.node, 1);
    conn.close();
    break;
  }
  (await dialled).close();
  using again = pair.b.listen(4000); // the loop freed the port
  assert.equal(again.addr.port, 4000);
});

Deno.test("stack conn: close() right after write() still delivers every byte, then end of stream", async () => {
  await using pair = stackPair({ encrypt: true });
  using listener = pair.b.listen(4001);
  const data = testBytes(3_000_000, 9);
  const received = (async () => {
    const conn = await listener.accept();
    try {
      return await readAll(conn, data.byteLength);
    } finally {
      conn.close();
    }
  })();
  const conn = await pair.a.dial(pair.addrB, 4001);
  await writeAll(conn, data);
  conn.close();
  const got = await withDeadline(received, 20_000, "all bytes and end of stream");
  assert.equal(got.byteLength, data.byteLength);
  assert.ok(got.every((byte, i) => byte === data[i]));
});

Deno.test("stack conn: web streams pipe with backpressure and end cleanly", async () => {
  await using pair = stackPair({ encrypt: false });
  using listener = pair.b.listen(4002);
  const data = testBytes(1_000_000, 3);
  const received = (async () => {
    const conn = await listener.accept();
    let total = 0;
    const chunks: Uint8Array[] = [];
    for await (const chunk of conn.readable) {
      chunks.push(chunk);
      total += chunk.byteLength;
    }
    conn.close();
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  })();
  const conn = await pair.a.dial(pair.addrB, 4002);
  await ReadableStream.from([data.subarray(0, 400_000), data.subarray(400_000)]).pipeTo(conn.writable);
  const got = await withDeadline(received, 20_000, "readable ends");
  assert.equal(got.byteLength, data.byteLength);
  assert.ok(got.every((byte, i) => byte === data[i]));
  await assert.rejects(conn.closeWrite(), (err) => isPilotError(err, "transport_half_close_unsupported"));
});

Deno.test("stack dial: an unbound port is refused with `connection refused`", async () => {
  await using pair = stackPair({ encrypt: false });
  await assert.rejects(
    pair.a.dial(pair.addrB, 4999),
    (err) => isPilotError(err, "transport_refused") && err.message === "connection refused",
  );
});

/**
 * One stack behind a plaintext tunnel whose peers all resolve to `resolve`'s answer; with no argument,
 * to a bound UDP socket that never answers. Disposing closes the stack, the tunnel and that socket.
 */
function lonelyStack(resolve?: (node: number) => Promise<string>) {
  const silent = UdpEndpoint.bind({ hostname: "127.0.0.1", port: 0 });
  const tunnel = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    encrypt: false,
    resolvePeer: resolve ?? (() => Promise.resolve(`127.0.0.1:${silent.addr.port}`)),
  });
  const stack = new Stack({ localAddress: { network: 0, node: 1 }, send: (n, b) => tunnel.send(n, b) });
  return {
    stack,
    async [Symbol.asyncDispose]() {
      await stack.close();
      await tunnel.close();
      silent.close();
    },
  };
}

// The table's own schedule fails a dial after 39 s (29 s with a beacon, §5.4), too long for the suite;
// that schedule is covered by lib/transport's fake-clock tests. Here: the stack's `timeoutMs` against a
// peer that never answers.
Deno.test("stack dial: a peer that never answers fails with `dial timeout`", async () => {
  await using lonely = lonelyStack();
  const { stack } = lonely;
  await assert.rejects(
    stack.dial({ network: 0, node: 9 }, 80, { timeoutMs: 300 }),
    (err) => isPilotError(err, "transport_dial_timeout") && err.message === "dial timeout",
  );
  assert.equal(stack.connectionCount, 0);
});

Deno.test("stack dial: an abort signal ends the dial", async () => {
  await using lonely = lonelyStack();
  const { stack } = lonely;
  const controller = new AbortController();
  const dialling = stack.dial({ network: 0, node: 9 }, 80, { signal: controller.signal });
  controller.abort();
  await assert.rejects(dialling, (err) => isPilotError(err, "transport_dial_aborted"));
});

Deno.test("stack dial: an unresolvable node fails the dial with the resolver's error", async () => {
  await using lonely = lonelyStack((node) => Promise.reject(new Error(`node ${node} not found`)));
  const { stack } = lonely;
  await assert.rejects(
    stack.dial({ network: 0, node: 9 }, 80),
    (err) => isPilotError(err, "tunnel_resolve_failed") && err.message === "resolve node 9: node 9 not found",
  );
});

Deno.test("stack: an idle stack arms no timer, before and after a connection came and went", async () => {
  await using pair = stackPair({ encrypt: false, config: { timeWaitMs: 50 } });
  assert.equal(pair.a.armedTimers(), 0);
  assert.equal(pair.b.armedTimers(), 0);
  using listener = pair.b.listen(4003);
  assert.equal(pair.b.armedTimers(), 0, "a listener alone needs no timer");
  const accepted = listener.accept();
  const conn = await pair.a.dial(pair.addrB, 4003);
  const peer = await accepted;
  assert.equal(pair.a.armedTimers(), 1, "an open connection has its keepalive deadline");
  await writeAll(conn, new Uint8Array(10_000));
  assert.equal((await readExactly(peer, 10_000)).byteLength, 10_000);
  const rows = pair.a.connections();
  assert.equal(rows.length, 1);
  assert.equal(rows[0].bytes_sent, 10_000);
  conn.close();
  peer.close();
  await withDeadline(
    Promise.all([pair.a.whenEmpty(), pair.b.whenEmpty()]),
    5_000,
    "TIME_WAIT ends on both sides",
  );
  assert.equal(pair.a.armedTimers(), 0);
  assert.equal(pair.b.armedTimers(), 0);
});
