/**
 * Hostile input on the data-exchange port: oversized lengths, streams cut inside a header, a payload or
 * a file, unknown types, random garbage. Each hostile connection is closed without an ACK and leaves
 * nothing in inbox/ or received/, while a well-behaved client on another connection is served
 * throughout.
 */

import assert from "node:assert/strict";
import { encodeDataFrame, encodeFileFrame, sendMessage } from "../lib/services/data_exchange/mod.ts";
import { listNames, readAll, readExactly, startTestService } from "../lib/services/data_exchange/_testing.ts";
import type { TestService } from "../lib/services/data_exchange/_testing.ts";
import { mutate, Prng } from "../lib/protocol/_fuzz.ts";

const text = new TextEncoder();

/** Sends `bytes`, half-closes, and returns what the service sent back before closing its side. */
async function hostile(svc: TestService, bytes: Uint8Array): Promise<Uint8Array> {
  const conn = await svc.connect();
  try {
    if (bytes.byteLength > 0) await conn.write(bytes);
    await conn.closeWrite(); // the service sees the end of the stream here
    return await readAll(conn);
  } finally {
    try {
      conn.close();
    } catch {
      // Fully closed already once both directions ended.
    }
  }
}

async function assertNothingStored(svc: TestService): Promise<void> {
  await svc.server.drained();
  assert.deepEqual(await listNames(`${svc.home}/inbox`), []);
  assert.deepEqual(await listNames(`${svc.home}/received`), []);
}

const FILE = encodeFileFrame("secret.bin", new Uint8Array(10_000).fill(7));

const CASES: Array<[string, Uint8Array]> = [
  ["length over 16 MiB", Uint8Array.fromHex("0000000101000001")],
  ["length 4 GiB with a payload start", Uint8Array.fromHex("00000004ffffffff0004616263")],
  ["oversized FILE", Uint8Array.fromHex("0000000401000001")],
  ["cut inside the header", Uint8Array.fromHex("000000010000")],
  ["cut inside a text payload", Uint8Array.fromHex("000000010000000568656c")],
  ["cut inside a file name", FILE.subarray(0, 14)],
  ["cut inside file data", FILE.subarray(0, 5_000)],
  ["one byte short of a whole file", FILE.subarray(0, FILE.byteLength - 1)],
];

Deno.test("data exchange hostile: every bad stream is closed with no ACK and nothing stored", async () => {
  await using svc = await startTestService();
  for (const [name, bytes] of CASES) {
    assert.equal((await hostile(svc, bytes)).byteLength, 0, name);
  }
  await assertNothingStored(svc);
});

Deno.test("data exchange hostile: good frames before a bad one are answered, then the connection closes", async () => {
  await using svc = await startTestService();
  const good = encodeDataFrame({ type: 1, payload: text.encode("ok") });
  const replies = await hostile(svc, new Uint8Array([...good, ...Uint8Array.fromHex("0000000201000001")]));
  assert.equal(new TextDecoder().decode(replies.subarray(8)), "ACK TEXT 2 bytes");
  await svc.server.drained();
  assert.equal((await listNames(`${svc.home}/inbox`)).length, 1);
});

Deno.test("data exchange hostile: an abrupt close mid-file removes the partial file", async () => {
  await using svc = await startTestService();
  const conn = await svc.connect();
  // A first message proves the session runs, so drained() below waits for this connection.
  assert.equal((await sendMessage(conn, { type: "text", data: "hi" })).ack, "ACK TEXT 2 bytes");
  await conn.write(FILE.subarray(0, 6_000));
  conn.close();
  await svc.server.drained();
  assert.deepEqual(await listNames(`${svc.home}/received`), []);
});

Deno.test("data exchange hostile: a well-behaved client is served while bad clients come and go", async () => {
  await using svc = await startTestService();
  const goodConn = await svc.connect();
  try {
    const good = (async () => {
      const acks: Array<string | undefined> = [];
      for (let i = 0; i < 30; i++) {
        acks.push((await sendMessage(goodConn, { type: "text", data: `m${i}` })).ack);
      }
      return acks;
    })();
    const rng = new Prng(1001);
    const seeds = [
      ...CASES.map(([, bytes]) => bytes),
      FILE,
      encodeDataFrame({ type: 3, payload: text.encode("{}") }),
    ];
    const bad = (async () => {
      for (let i = 0; i < 40; i++) await hostile(svc, mutate(rng, rng.pick(seeds), { maxLength: 20_000 }));
    })();
    const [acks] = await Promise.all([good, bad]);
    assert.deepEqual(acks, Array.from({ length: 30 }, (_, i) => `ACK TEXT ${`m${i}`.length} bytes`));
  } finally {
    goodConn.close();
  }
  await svc.server.drained();
  // Mutated input may still hold valid frames, which are stored; nothing unfinished may remain.
  for (const dir of ["inbox", "received"]) {
    for (const name of await listNames(`${svc.home}/${dir}`)) assert.ok(!name.endsWith(".tmp"), name);
  }
  assert.ok((await listNames(`${svc.home}/inbox`)).filter((n) => /^TEXT-/.test(n)).length >= 30);
});

Deno.test("data exchange hostile: a frame arriving one byte per write is still decoded", async () => {
  await using svc = await startTestService();
  const conn = await svc.connect();
  const frame = encodeFileFrame("slow.txt", text.encode("drip"));
  // No half-close here: a Deno TCP socket closes outright once its readable reaches the end, and the
  // reply would have nowhere to go.
  for (const byte of frame) await conn.write(Uint8Array.of(byte));
  const reader = conn.readable.getReader();
  const reply = await readExactly(reader, 24);
  reader.releaseLock();
  conn.close();
  assert.equal(new TextDecoder().decode(reply.subarray(8)), "ACK FILE 4 bytes");
  await svc.server.drained();
  assert.equal((await listNames(`${svc.home}/received`)).length, 1);
});

Deno.test("data exchange hostile: stopping the service mid-transfer leaves nothing behind", async () => {
  await using svc = await startTestService();
  const conn = await svc.connect();
  try {
    await conn.write(FILE);
    await conn.write(encodeDataFrame({ type: 9, payload: new Uint8Array(0) }));
    const reader = conn.readable.getReader();
    const acks = await readExactly(reader, (8 + 20) + (8 + 22)); // ACK FILE 10000 bytes, ACK UNKNOWN(9) 0 bytes
    assert.match(new TextDecoder().decode(acks), /ACK FILE 10000 bytes.*ACK UNKNOWN\(9\) 0 bytes$/s);
    reader.releaseLock();
    await conn.write(FILE.subarray(0, 6_000)); // a second file, cut off by the service stopping
    await svc.server.close();
  } finally {
    conn.close();
  }
  const names = await listNames(`${svc.home}/received`);
  assert.equal(names.length, 1, names.join());
  assert.match(names[0] ?? "", /^secret-\d{8}-\d{6}\.\d{3}\.bin$/);
  assert.equal(svc.server.connectionCount, 0);
});
