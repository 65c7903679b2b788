/**
 * The out-of-process listener against a real daemon: close during a pending accept, iteration after
 * close, the port freed on close (IPC has no Unbind, so this is the listener's own session ending),
 * a port held by another program, and an accepted connection that outlives its listener.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { connect } from "../lib/sdk/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { readExactly, writeAll } from "./_helpers/stack_pair.ts";

const ENCODER = new TextEncoder();

Deno.test("sdk ipc listener: close() while accept() is pending settles it with transport_listener_closed", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  const listener = await pilot.listen({ port: 4100 });
  const pending = listener.accept();
  listener.close();
  listener.close(); // idempotent
  await assert.rejects(
    withDeadline(pending, 5_000, "accept settled"),
    (err) => isPilotError(err, "transport_listener_closed"),
  );
  await assert.rejects(listener.accept(), (err) => isPilotError(err, "transport_listener_closed"));
  await withDeadline(listener.closed, 5_000, "listener session ended");
});

Deno.test("sdk ipc listener: iteration ends when the listener closes, and yields nothing after", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  const listener = await pilot.listen({ port: 4101 });
  const first = Promise.withResolvers<void>();
  const iterated = (async () => {
    let n = 0;
    for await (const conn of listener) {
      n++;
      conn.close();
      first.resolve();
    }
    return n;
  })();
  const conn = await pilot.dial(pilot.address, 4101); // a node reaches its own ports
  await withDeadline(first.promise, 5_000, "the loop got the connection");
  conn.close();
  listener.close();
  assert.equal(await withDeadline(iterated, 5_000, "loop ended"), 1);
  let after = 0;
  for await (const _ of listener) after++;
  assert.equal(after, 0);
});

Deno.test("sdk ipc listener: the port is freed on close, for this client and for another program", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  await using other = await connect({ socket: d.socket });
  {
    using _listener = await pilot.listen({ port: 4102 });
    await assert.rejects(
      other.listen({ port: 4102 }),
      (err) => isPilotError(err, "transport_port_bound") && err.message === "port 4102 already bound",
    );
  }
  // Disposed: the same client binds again at once (it waits for its own unbind).
  const again = await pilot.listen({ port: 4102 });
  again.close();
  await again.closed;
  const theirs = await other.listen({ port: 4102 });
  const accepted = theirs.accept();
  const conn = await pilot.dial(pilot.address, 4102);
  (await accepted).close();
  conn.close();
  theirs.close();
});

Deno.test("sdk ipc listener: an accepted connection outlives its listener; the port frees when it closes", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  const listener = await pilot.listen({ port: 4103 });
  const accepted = listener.accept();
  const client = await pilot.dial(pilot.address, 4103);
  const served = await accepted;
  assert.equal(served.localAddr.port, 4103);
  assert.deepEqual(served.remoteAddr.address, pilot.address);
  listener.close();
  assert.equal(listener.isEnding, false, "an open connection holds the session");
  await writeAll(client, ENCODER.encode("still here"));
  const got = await withDeadline(readExactly(served, 10), 5_000, "data after listener close");
  assert.equal(new TextDecoder().decode(got), "still here");
  await writeAll(served, ENCODER.encode("ok"));
  assert.equal(new TextDecoder().decode(await readExactly(client, 2)), "ok");
  served.close();
  await withDeadline(listener.closed, 5_000, "port freed after the last connection");
  client.close();
  const rebound = await pilot.listen({ port: 4103 });
  rebound.close();
});
