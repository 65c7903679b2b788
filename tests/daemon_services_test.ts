import assert from "node:assert/strict";
import { IpcClient } from "../lib/ipc/mod.ts";
import { parseAddress, PORTS } from "../lib/protocol/mod.ts";
import { startDaemon } from "./_helpers/daemon.ts";

Deno.test("services: echo on port 7 reflects what a peer sends; -no-echo refuses the connection", async () => {
  await using a = await startDaemon({ flags: ["-public"] });
  const join = { registry: String(a.ready.registry), beacon: String(a.ready.beacon) };
  await using b = await startDaemon({ ...join, flags: ["-public"] });
  await using quiet = await startDaemon({ ...join, flags: ["-public", "-no-echo"] });
  await using ipc = await IpcClient.connect(a.socket);

  const connId = await ipc.dial(parseAddress(b.address), PORTS.ECHO);
  await ipc.send(connId, new TextEncoder().encode("ping-1"));
  assert.equal(new TextDecoder().decode(await ipc.recv(connId) ?? new Uint8Array()), "ping-1");
  await ipc.closeConnection(connId);

  await assert.rejects(ipc.dial(parseAddress(quiet.address), PORTS.ECHO), /connection refused/);
});

Deno.test("services: the built-in ports are taken, so binding one over IPC is refused", async () => {
  await using a = await startDaemon();
  await using ipc = await IpcClient.connect(a.socket);
  for (const port of [PORTS.HANDSHAKE, PORTS.ECHO, PORTS.EVENT_STREAM]) {
    await assert.rejects(ipc.bind(port), new RegExp(`port ${port} already bound`));
  }
});
