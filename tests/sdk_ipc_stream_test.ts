/**
 * The out-of-process SDK against real daemons (child processes): a custom echo service written only
 * against the SDK contract runs on port 4000 of daemon B, and an application on daemon A dials it by
 * address and by hostname. The very same two functions then run on the in-process `Pilot` over two
 * real stacks, which is what the shared contract promises.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { formatAddress, parseAddress } from "../lib/protocol/mod.ts";
import { connect, Pilot } from "../lib/sdk/mod.ts";
import type { OverlayAddr, PilotListener, PilotNode, Target } from "../lib/sdk/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { readExactly, stackPair, testBytes, writeAll } from "./_helpers/stack_pair.ts";

const ECHO_PORT = 4000;
const TWO_MB = 2 * 1024 * 1024;

// --- the application: SDK contract only ---

/** Echoes every accepted connection until the listener closes; reports who connected. */
async function serveEcho(listener: PilotListener, seen: OverlayAddr[]): Promise<void> {
  const conversations: Promise<void>[] = [];
  for await (const conn of listener) {
    seen.push(conn.remoteAddr);
    // The readable ends when the client closes; pipeTo then closes the writable, which closes the conn.
    conversations.push(conn.readable.pipeTo(conn.writable).catch(() => conn.close()));
  }
  await Promise.all(conversations);
}

/** Sends `data` to the echo service at `target` and returns what came back. */
async function echoRoundTrip(node: PilotNode, target: Target, data: Uint8Array): Promise<Uint8Array> {
  const conn = await node.dial(target, ECHO_PORT);
  try {
    const [, back] = await Promise.all([writeAll(conn, data), readExactly(conn, data.byteLength)]);
    return back;
  } finally {
    conn.close();
  }
}

/** Runs the service on `server` and two 2 MB round trips from `client`: by address, then by hostname. */
async function echoScenario(server: PilotNode, client: PilotNode, hostname: string): Promise<OverlayAddr[]> {
  const seen: OverlayAddr[] = [];
  const listener = await server.listen({ port: ECHO_PORT });
  assert.deepEqual(listener.addr, { transport: "pilot", address: server.address, port: ECHO_PORT });
  const serving = serveEcho(listener, seen);
  try {
    const first = testBytes(TWO_MB, 1);
    assert.ok(equalBytes(await echoRoundTrip(client, server.address, first), first), "by address");
    const second = testBytes(TWO_MB, 2);
    assert.ok(equalBytes(await echoRoundTrip(client, hostname, second), second), "by hostname");
  } finally {
    listener.close();
    await serving;
  }
  return seen;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

// --- the tests ---

Deno.test("sdk ipc: an SDK echo service on daemon B answers 2 MB byte-exact, dialled by address and by hostname", async () => {
  await using a = await startDaemon({ flags: ["-public"] });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    beacon: String(a.ready.beacon),
    flags: ["-public", "-hostname", "beta"],
  });
  await using server = await connect({ socket: b.socket });
  await using client = await connect({ socket: a.socket });
  assert.equal(formatAddress(client.address), a.address);
  assert.equal(formatAddress(server.address), b.address);
  let seen: OverlayAddr[];
  try {
    seen = await withDeadline(echoScenario(server, client, "beta"), 30_000, "two echo round trips");
  } catch (err) {
    throw new Error(`${err}\n--- A ---\n${a.log()}\n--- B ---\n${b.log()}`);
  }
  assert.equal(seen.length, 2);
  for (const remote of seen) assert.deepEqual(remote.address, parseAddress(a.address));
});

Deno.test("sdk ipc: the same echo application runs on the in-process Pilot", async () => {
  await using pair = stackPair({ encrypt: true });
  const server = new Pilot(pair.b);
  const client = new Pilot(pair.a, {
    resolveHostname: (name) =>
      name === "beta" ? Promise.resolve(pair.addrB) : Promise.reject(new Error(`unknown ${name}`)),
  });
  const seen = await withDeadline(echoScenario(server, client, "beta"), 30_000, "two echo round trips");
  assert.equal(seen.length, 2);
  for (const remote of seen) assert.deepEqual(remote.address, pair.addrA);
});

Deno.test("sdk ipc: dialling a port nobody listens on fails with transport_refused (connection refused)", async () => {
  await using d = await startDaemon();
  await using pilot = await connect({ socket: d.socket });
  await assert.rejects(
    pilot.dial(d.address, 3999),
    (err) => isPilotError(err, "transport_refused") && err.message === "connection refused",
  );
  await assert.rejects(pilot.dial("nobody-has-this-name", 3999), (err) => isPilotError(err, "not_found"));
  await assert.rejects(pilot.dial("0:0000.0000", 3999), (err) => isPilotError(err, "invalid_argument"));
});

Deno.test("sdk ipc: connect to a socket with no daemon fails with ipc_connect_failed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      connect({ socket: `${dir}/none.sock` }),
      (err) => isPilotError(err, "ipc_connect_failed"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
