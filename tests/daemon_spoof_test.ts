import assert from "node:assert/strict";
import { IpcClient } from "../lib/ipc/mod.ts";
import { encodePacket, encodePilt, FLAGS, PORTS, PROTOCOLS } from "../lib/protocol/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { netAddr } from "./_helpers/lossy_relay.ts";

Deno.test("spoofing: a datagram claiming the node's own address opens nothing", async () => {
  await using node = await startDaemon({ flags: ["-encrypt=false"] });
  await using ipc = await IpcClient.connect(node.socket);
  const info = async () => (await ipc.info()) as { pkts_recv: number; conn_list: unknown[] };
  const before = await info();
  const self = { network: 0, node: node.nodeId };
  const syn = encodePilt(encodePacket({
    version: 1,
    flags: FLAGS.SYN,
    protocol: PROTOCOLS.STREAM,
    src: self,
    dst: self,
    srcPort: 49999,
    dstPort: PORTS.TASK_SUBMIT,
    seq: 0,
    ack: 0,
    window: 512,
    payload: new Uint8Array(0),
  }));
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    await socket.send(syn, netAddr(String(node.ready.tunnel)));
  } finally {
    socket.close();
  }
  // Wait until the daemon has taken the datagram in (its packet counter moves), then look.
  let after = await info();
  for (let i = 0; i < 200 && after.pkts_recv === before.pkts_recv; i++) after = await info();
  assert.ok(after.pkts_recv > before.pkts_recv, "the forged datagram reached the daemon");
  assert.deepEqual(after.conn_list, [], "no connection was opened for it");
});
