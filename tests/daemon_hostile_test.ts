import assert from "node:assert/strict";
import { IpcClient } from "../lib/ipc/mod.ts";
import { mutate, Prng } from "../lib/protocol/_fuzz.ts";
import { startDaemon } from "./_helpers/daemon.ts";
import { exchange } from "./_helpers/ipc_exchange.ts";
import { netAddr } from "./_helpers/lossy_relay.ts";

const DATAGRAMS = 100_000;
const IPC_FRAMES = 100_000;

async function capturedHex(file: string, ...lists: string[]): Promise<Uint8Array[]> {
  const json = JSON.parse(await Deno.readTextFile(new URL(`../../shared/vectors/${file}`, import.meta.url)));
  const out: Uint8Array[] = [];
  for (const path of lists) {
    let list: unknown = json;
    for (const key of path.split(".")) list = (list as Record<string, unknown>)?.[key];
    for (const entry of Array.isArray(list) ? list : []) {
      if (typeof entry?.hex === "string" && entry.hex.length > 0) out.push(Uint8Array.fromHex(entry.hex));
    }
  }
  return out;
}

/** Sends seeded mutations of captured tunnel and beacon datagrams at the daemon's UDP socket. */
async function datagramFlood(target: Deno.NetAddr, seed: number): Promise<number> {
  const seeds = [
    ...await capturedHex("tunnel-plaintext.json", "frames", "direct_handshake_run.frames"),
    ...await capturedHex("tunnel-encrypted.json", "frames"),
    ...await capturedHex("beacon.json", "messages"),
  ];
  assert.ok(seeds.length > 50, "the captures give enough seeds");
  const rng = new Prng(seed);
  // Deno.DatagramConn is not disposable in 2.9.6, hence try/finally.
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let sent = 0;
  try {
    for (let i = 0; i < DATAGRAMS; i++) {
      const datagram = rng.below(10) === 0
        ? rng.bytes(1 + rng.below(200))
        : mutate(rng, rng.pick(seeds), { maxLength: 9000 });
      if (datagram.byteLength === 0) continue;
      await socket.send(datagram, target);
      sent++;
    }
  } finally {
    socket.close();
  }
  return sent;
}

/** Writes seeded mutations of captured IPC frames at the daemon's socket, reading whatever comes back. */
async function ipcFlood(socket: string, seed: number): Promise<number> {
  const frames = [
    ...await capturedHex(
      "ipc.json",
      "messages",
      "public_nodes_run.messages_A",
      "public_nodes_run.messages_B",
    ),
  ];
  const rng = new Prng(seed);
  let written = 0;
  for (let round = 0; written < IPC_FRAMES; round++) {
    // A connection the daemon closes (or one that ends normally) is replaced: the flood goes on.
    const conn = await Deno.connect({ transport: "unix", path: socket });
    const drain = conn.readable.pipeTo(new WritableStream()).catch(() => {});
    try {
      const batch: Uint8Array[] = [];
      for (let i = 0; i < 1000 && written < IPC_FRAMES; i++, written++) {
        batch.push(
          rng.below(20) === 0 ? rng.bytes(rng.below(64)) : mutate(rng, rng.pick(frames), { maxLength: 4096 }),
        );
      }
      const bytes = new Uint8Array(batch.reduce((n, b) => n + b.byteLength, 0));
      let offset = 0;
      for (const frame of batch) {
        bytes.set(frame, offset);
        offset += frame.byteLength;
      }
      for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
    } catch {
      // The daemon closed this connection mid-batch (e.g. after a frame it could not resync from).
    } finally {
      try {
        conn.close();
      } catch {
        // already closed by the peer
      }
      await drain;
    }
  }
  return written;
}

Deno.test("hostile: 100,000 bad datagrams and 100,000 bad IPC frames do not disturb a transfer", async () => {
  await using a = await startDaemon({ flags: ["-public", "-log-level", "info"] });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    beacon: String(a.ready.beacon),
    flags: ["-public", "-log-level", "info"],
  });
  const transfer = exchange(a, b, { port: 5003, bytes: 4 * 1024 * 1024, timeoutMs: 120_000 });
  const [sentDatagrams, sentFrames] = await Promise.all([
    datagramFlood(netAddr(String(a.ready.tunnel)), 7),
    ipcFlood(a.socket, 11),
    transfer,
  ]);
  assert.ok(sentDatagrams > 90_000 && sentFrames >= IPC_FRAMES);
  // Still alive and still itself: Info answers with the same node.
  await using ipc = await IpcClient.connect(a.socket);
  const info = await ipc.info();
  assert.equal(Reflect.get(info as object, "node_id"), a.nodeId, a.log());
});
