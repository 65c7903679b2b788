/**
 * The SDK client reuses the IPC session of a closed connection for the next dial, against a real
 * daemon: one connection after another needs no new session each, every byte still arrives (write,
 * then close at once, on a reused session too), and closing the client ends the session it kept.
 *
 * @module
 */

import assert from "node:assert/strict";
import { connect } from "../lib/sdk/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { readAll, readExactly, testBytes, writeAll } from "./_helpers/stack_pair.ts";

/** IPC sessions the daemon has accepted so far (it logs each at debug level). */
function sessionsOpened(log: string): number {
  return log.split("\n").filter((line) => line.includes('"msg":"ipc client connected"')).length;
}

Deno.test("sdk session reuse: ten connections one after another open at most two dial sessions", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  using listener = await pilot.listen({ port: 4300 });
  const before = sessionsOpened(d.log());
  for (let i = 0; i < 10; i++) {
    const accepted = listener.accept();
    const conn = await pilot.dial(pilot.address, 4300);
    await writeAll(conn, Uint8Array.of(i));
    const peer = await accepted;
    assert.deepEqual(await withDeadline(readExactly(peer, 1), 5_000, `byte ${i}`), Uint8Array.of(i));
    conn.close();
    await conn.closed;
    peer.close();
  }
  // A session returns once the daemon has answered its Close, which may come after the next dial:
  // two sessions take turns. A session per connection would have opened ten.
  const opened = sessionsOpened(d.log()) - before;
  assert.ok(opened <= 2, `${opened} sessions opened for 10 connections\n${d.log()}`);
});

Deno.test("sdk session reuse: write then close at once delivers every byte on a reused session", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  using listener = await pilot.listen({ port: 4301 });
  for (let round = 0; round < 3; round++) {
    const accepted = listener.accept();
    const conn = await pilot.dial(pilot.address, 4301);
    const data = testBytes(400_000, round);
    await writeAll(conn, data, 100_000);
    conn.close(); // no wait for delivery: the daemon runs the Close after the Sends, FIN after delivery
    const peer = await accepted;
    const got = await withDeadline(readAll(peer, data.byteLength), 15_000, `round ${round}: all bytes`);
    assert.deepEqual(got, data);
    assert.equal(await peer.read(new Uint8Array(1)), null, `round ${round}: then the end of the stream`);
    peer.close();
    await conn.closed;
  }
});

Deno.test("sdk session reuse: closing the client ends the session it kept", async () => {
  await using d = await startDaemon();
  const pilot = await connect({ socket: d.socket });
  using listener = await pilot.listen({ port: 4302 });
  const accepted = listener.accept();
  const conn = await pilot.dial(pilot.address, 4302);
  const dialSession = lastSessionOpened(d.log());
  (await accepted).close();
  conn.close();
  await conn.closed;
  await withDeadline(pilot.close(), 5_000, "client closed");
  await d.waitForLog((record) =>
    record.msg === "ipc client disconnected" && record.ipc_client === dialSession
  );
});

/** The id of the last IPC session the daemon logged as connected. */
function lastSessionOpened(log: string): number {
  const lines = log.split("\n").filter((line) => line.includes('"msg":"ipc client connected"'));
  const record: unknown = JSON.parse(lines.at(-1) ?? "{}");
  const id = typeof record === "object" && record !== null ? Reflect.get(record, "ipc_client") : undefined;
  if (typeof id !== "number") throw new Error(`no session in the log\n${log}`);
  return id;
}
