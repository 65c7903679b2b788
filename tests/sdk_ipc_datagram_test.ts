/**
 * Datagrams through the out-of-process SDK between two real daemons, in both directions, with the
 * receivers' port filters, and the sender-side refusals both SDK forms share.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { parseAddress } from "../lib/protocol/mod.ts";
import { connect } from "../lib/sdk/mod.ts";
import type { Datagram, DatagramReceiver, PilotNode } from "../lib/sdk/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";

/** Sends to `port + 1` (someone else's port), then to `port`; the filtered receiver sees only `port`. */
async function oneWay(from: PilotNode, to: PilotNode, port: number, payload: number): Promise<void> {
  using all = to.datagrams();
  using mine = to.datagrams({ port });
  await from.sendDatagram(to.address, port + 1, new Uint8Array([0xEE]));
  await from.sendDatagram(to.address, port, new Uint8Array([payload, payload]));
  const seenByAll = [await next(all), await next(all)];
  assert.deepEqual(seenByAll.map((d) => d.dstPort), [port + 1, port], "the unfiltered receiver sees both");
  const got = await next(mine);
  assert.equal(got.dstPort, port, "the filtered receiver skipped the other port");
  assert.deepEqual([...got.data], [payload, payload]);
  assert.deepEqual(got.src, from.address);
  assert.ok(got.srcPort >= 49152, `ephemeral source port, got ${got.srcPort}`);
}

async function next(receiver: DatagramReceiver): Promise<Datagram> {
  const d = await withDeadline(receiver.receive(), 10_000, "datagram arrived");
  assert.ok(d !== undefined, "receiver still open");
  return d;
}

Deno.test("sdk ipc datagrams: both ways between two daemons, filtered by port", async () => {
  await using a = await startDaemon({ flags: ["-public"] });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    beacon: String(a.ready.beacon),
    flags: ["-public"],
  });
  await using alpha = await connect({ socket: a.socket });
  await using beta = await connect({ socket: b.socket });
  assert.deepEqual(beta.address, parseAddress(b.address));
  try {
    await oneWay(alpha, beta, 6000, 1);
    await oneWay(beta, alpha, 6100, 2);
  } catch (err) {
    throw new Error(`${err}\n--- A ---\n${a.log()}\n--- B ---\n${b.log()}`);
  }
});

Deno.test("sdk ipc datagrams: broadcast and oversized datagrams are refused before the daemon; close ends receivers", async () => {
  await using d = await startDaemon();
  const pilot = await connect({ socket: d.socket });
  try {
    await assert.rejects(
      pilot.sendDatagram({ network: 0, node: 0xFFFFFFFF }, 6000, new Uint8Array([1])),
      (err) => isPilotError(err, "transport_broadcast"),
    );
    await assert.rejects(
      pilot.sendDatagram(pilot.address, 6000, new Uint8Array(65_536)),
      (err) => isPilotError(err, "transport_datagram_too_large"),
    );
  } finally {
    const receiver = pilot.datagrams();
    const pending = receiver.receive();
    await pilot.close();
    assert.equal(await pending, undefined, "closing the client ends its receivers");
    await pilot.close(); // idempotent
  }
});
