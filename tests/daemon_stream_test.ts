import assert from "node:assert/strict";
import { IpcClient } from "../lib/ipc/mod.ts";
import { parseAddress } from "../lib/protocol/mod.ts";
import { startDaemon, type TestDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const CUSTOM_PORT = 5000;
const SIZE = 10 * 1024 * 1024;

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

async function readExactly(client: IpcClient, connId: number, size: number): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const chunk = await client.recv(connId);
    if (chunk === null) break;
    out.set(chunk.subarray(0, Math.min(chunk.byteLength, size - filled)), filled);
    filled += chunk.byteLength;
  }
  assert.equal(filled, size, "the stream carried exactly the bytes sent");
  return out;
}

async function exchange(a: TestDaemon, b: TestDaemon): Promise<void> {
  await using server = await IpcClient.connect(b.socket);
  await using client = await IpcClient.connect(a.socket);
  await server.bind(CUSTOM_PORT);
  const toB = pattern(SIZE, 1);
  const toA = pattern(SIZE, 2);
  const connId = await client.dial(parseAddress(b.address), CUSTOM_PORT);
  const accepted = await server.accept(CUSTOM_PORT);
  assert.equal(accepted.remoteAddress.node, a.nodeId);
  const [gotAtB, gotAtA] = await withDeadline(
    Promise.all([
      (async () => {
        const sending = server.send(accepted.connId, toA);
        const got = await readExactly(server, accepted.connId, SIZE);
        await sending;
        return got;
      })(),
      (async () => {
        const sending = client.send(connId, toB);
        const got = await readExactly(client, connId, SIZE);
        await sending;
        return got;
      })(),
    ]),
    60_000,
    "10 MB each way did not arrive",
  );
  assert.deepEqual(gotAtB, toB);
  assert.deepEqual(gotAtA, toA);
  await client.closeConnection(connId);
}

for (const encrypt of [true, false]) {
  Deno.test(`daemons: 10 MB each way on a custom port, byte-exact, encryption ${encrypt ? "on" : "off"}`, async () => {
    const flags = encrypt ? ["-public"] : ["-public", "-encrypt=false"];
    await using a = await startDaemon({ flags });
    await using b = await startDaemon({
      registry: String(a.ready.registry),
      beacon: String(a.ready.beacon),
      flags,
    });
    try {
      await exchange(a, b);
    } catch (err) {
      throw new Error(`${err}\n--- A ---\n${a.log()}\n--- B ---\n${b.log()}`);
    }
  });
}
