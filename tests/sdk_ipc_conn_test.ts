/**
 * The out-of-process connection's `Deno.Conn` edges against a real daemon (the node dials its own
 * ports): write-then-close delivers everything, the end of stream, use after close, no half-close,
 * an aborted dial, and a client's close() ending what it still holds.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { connect } from "../lib/sdk/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { readAll, testBytes, writeAll } from "./_helpers/stack_pair.ts";

Deno.test("sdk ipc conn: write then close at once delivers every byte, then the peer reads end of stream", async () => {
  await using d = await startDaemon();
  await using server = await connect({ socket: d.socket });
  await using client = await connect({ socket: d.socket });
  using listener = await server.listen({ port: 4200 });
  const accepted = listener.accept();
  const conn = await client.dial(server.address, 4200);
  assert.deepEqual(conn.remoteAddr, { transport: "pilot", address: server.address, port: 4200 });
  assert.deepEqual(conn.localAddr.address, client.address);
  const data = testBytes(1_500_000, 7);
  await writeAll(conn, data, 300_000);
  conn.close(); // no wait for delivery: the daemon sends FIN once the data is acknowledged
  const peer = await accepted;
  const got = await withDeadline(readAll(peer, data.byteLength), 15_000, "all bytes, then the end");
  assert.equal(got.byteLength, data.byteLength);
  assert.deepEqual(got, data);
  assert.equal(await peer.read(new Uint8Array(8)), null, "the end stays the end");
  peer.close();
  await conn.closed;
});

Deno.test("sdk ipc conn: after close() reads and writes fail with transport_closed; closeWrite is unsupported", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  using listener = await pilot.listen({ port: 4201 });
  const accepted = listener.accept();
  const conn = await pilot.dial(pilot.address, 4201);
  const peer = await accepted;
  await assert.rejects(conn.closeWrite(), (err) => isPilotError(err, "transport_half_close_unsupported"));
  const pendingRead = peer.read(new Uint8Array(4));
  peer.close();
  assert.equal(await withDeadline(pendingRead, 5_000, "pending read ended"), null, "a waiting read ends");
  await assert.rejects(peer.read(new Uint8Array(4)), (err) => isPilotError(err, "transport_closed"));
  await assert.rejects(peer.write(new Uint8Array(4)), (err) => isPilotError(err, "transport_closed"));
  assert.equal(await withDeadline(conn.read(new Uint8Array(4)), 5_000, "peer's FIN"), null);
  conn.close();
  conn.close(); // idempotent
});

Deno.test("sdk ipc conn: an aborted dial rejects with the signal's reason", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  const reason = new Error("changed my mind");
  await assert.rejects(
    pilot.dial(pilot.address, 4202, { signal: AbortSignal.abort(reason) }),
    (err) => err === reason,
  );
});

Deno.test("sdk ipc conn: closing the client ends its connections; the other side reads end of stream", async () => {
  await using d = await startDaemon();
  await using server = await connect({ socket: d.socket });
  const client = await connect({ socket: d.socket });
  using listener = await server.listen({ port: 4203 });
  const accepted = listener.accept();
  const conn = await client.dial(server.address, 4203);
  const peer = await accepted;
  const reading = conn.read(new Uint8Array(4));
  await client.close();
  assert.equal(await reading, null, "the client's own pending read ends");
  assert.equal(await withDeadline(peer.read(new Uint8Array(4)), 5_000, "FIN from the closed client"), null);
  peer.close();
  await assert.rejects(client.listen({ port: 4204 }), (err) => isPilotError(err, "ipc_closed"));
});
