/**
 * End to end, issue #5 item 9: hostile input on every built-in service port of a real daemon, sent
 * through the real overlay (an IPC stream from daemon A to daemon B's ports 1001, 1002 and 7):
 * malformed frames, oversized declared lengths, and abrupt disconnects mid-frame and mid-file, both by
 * closing the connection and by dropping the whole IPC session. Afterwards a well-behaved send-message,
 * send-file and publish still work, and B's inbox/ and received/ hold exactly the good entries, no
 * partial or temp file.
 *
 * B's debug log says when a service has dropped a connection ("... connection closed/failed"); each
 * hostile case waits for the next such record, so the folders are checked after B has dealt with it.
 */

import assert from "node:assert/strict";
import { dialStream, IpcClient, type IpcStreamConn } from "../lib/ipc/mod.ts";
import { type Address, parseAddress } from "../lib/protocol/mod.ts";
import {
  encodeDataFrame,
  encodeFileFrame,
  FILE_PART_BYTES,
  sendFile,
  sendMessage,
} from "../lib/services/data_exchange/mod.ts";
import { encodeEvent, publish, subscribe, type SubscribedEvent } from "../lib/services/event_stream/mod.ts";
import { startDaemon, type TestDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const text = new TextEncoder();
const DX = 1001;
const EVENTS = 1002;
const ECHO = 7;

async function write(conn: IpcStreamConn, bytes: Uint8Array): Promise<void> {
  const writer = conn.writable.getWriter();
  try {
    await writer.write(bytes);
  } finally {
    writer.releaseLock();
  }
}

/** How many bytes the peer sends until it closes the connection. */
async function readToEnd(conn: IpcStreamConn, what: string): Promise<number> {
  const reader = conn.readable.getReader();
  const all = (async () => {
    let total = 0;
    while (total < 64 * 1024 * 1024) { // bounded: no service here answers that much
      const next = await reader.read();
      if (next.done) break;
      total += next.value.byteLength;
    }
    return total;
  })();
  try {
    return await withDeadline(all, 10_000, `${what}: B did not close the connection`);
  } finally {
    reader.releaseLock();
  }
}

/** Counts B's records with `msg`; `next()` resolves at the next one not yet consumed. */
function logCounter(daemon: TestDaemon, msg: string) {
  let consumed = 0;
  return {
    next: async (what: string) => {
      const wanted = ++consumed;
      let seen = 0;
      const record = await daemon.waitForLog((r) => r.msg === msg && ++seen === wanted, 10_000)
        .catch((err) => {
          throw new Error(`${what}: no record #${wanted} "${msg}": ${err}\n${daemon.log()}`);
        });
      return record;
    },
  };
}

async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return names.sort();
}

/**
 * `listDir(dir)` once B has finished with the connections it already dropped. B logs the drop just
 * before its session removes the temp file, so the listing is retried after an echo round trip to B
 * (each one a real exchange through B's event loop, not a timer), at most 20 times.
 */
async function settledListing(ipc: IpcClient, b: Address, dir: string): Promise<string[]> {
  let names = await listDir(dir);
  for (let round = 0; round < 20 && names.some((n) => n.startsWith(".")); round++) {
    const conn = await dialStream(ipc, b, ECHO);
    await write(conn, new Uint8Array([1]));
    const reader = conn.readable.getReader();
    await withDeadline(reader.read(), 5_000, "echo did not answer");
    reader.releaseLock();
    conn.close();
    await conn.closed;
    names = await listDir(dir);
  }
  return names;
}

/** Dials B over a fresh IPC session, writes `bytes`, then drops the session without closing anything. */
async function dropSessionAfter(a: TestDaemon, b: Address, port: number, bytes: Uint8Array): Promise<void> {
  const ipc = await IpcClient.connect(a.socket);
  try {
    await write(await dialStream(ipc, b, port), bytes);
  } finally {
    await ipc[Symbol.asyncDispose]();
  }
}

const FILE = encodeFileFrame("secret.bin", new Uint8Array(10_000).fill(7));
const TEXT = encodeDataFrame({ type: 1, payload: text.encode("hello there") });

/** Bytes B must refuse at once: it closes the connection without a reply. */
const DX_REFUSED: Array<[string, Uint8Array]> = [
  ["TEXT declaring 16 MiB + 1", Uint8Array.fromHex("0000000101000001")],
  ["FILE declaring 4 GiB", Uint8Array.fromHex("00000004ffffffff0004616263")],
];

/** Bytes cut short, then the connection is closed by us. */
const DX_CUT: Array<[string, Uint8Array]> = [
  ["cut inside the prefix", TEXT.subarray(0, 6)],
  ["cut inside a text payload", TEXT.subarray(0, 12)],
  ["cut inside a file name", FILE.subarray(0, 14)],
  ["cut inside file data", FILE.subarray(0, 5_000)],
  ["one byte short of a whole file", FILE.subarray(0, FILE.byteLength - 1)],
];

Deno.test("e2e hostile services: bad input on 1001, 1002 and 7 over the overlay leaves B serving and clean", async (t) => {
  await using a = await startDaemon({ flags: ["-public"] });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    beacon: String(a.ready.beacon),
    flags: ["-public"],
  });
  const target = parseAddress(b.address);
  await using ipc = await IpcClient.connect(a.socket);
  const dxClosed = logCounter(b, "data exchange connection closed");
  const inbox = `${b.pilotHome}/inbox`;
  const received = `${b.pilotHome}/received`;

  await t.step("1001: oversized declared lengths are refused with no reply", async () => {
    for (const [name, bytes] of DX_REFUSED) {
      const conn = await dialStream(ipc, target, DX);
      await write(conn, bytes);
      assert.equal(await readToEnd(conn, name), 0, `${name}: no ACK`);
      conn.close();
      await conn.closed;
      await dxClosed.next(name);
    }
  });

  await t.step("1001: frames cut short by a close or a dropped IPC session store nothing", async () => {
    for (const [name, bytes] of DX_CUT) {
      const conn = await dialStream(ipc, target, DX);
      await write(conn, bytes);
      conn.close();
      await conn.closed;
      const record = await dxClosed.next(name);
      assert.match(String(record.code), /^frame_/, `${name}: ${JSON.stringify(record)}`);
    }
    await dropSessionAfter(a, target, DX, FILE.subarray(0, 7_000));
    await dxClosed.next("IPC session dropped mid-file");
    assert.deepEqual(await settledListing(ipc, target, inbox), []);
    assert.deepEqual(await settledListing(ipc, target, received), []);
  });

  await t.step("1001: a multi-part file cut in its second part leaves no temp file", async () => {
    const total = FILE_PART_BYTES + 4 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024).fill(0x42);
    let produced = 0;
    let tempSeen: string[] = [];
    const source = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (produced >= total) {
          // Past part 1's ACK, B is appending to its temp file: prove it exists before the cut.
          tempSeen = (await listDir(received)).filter((n) => n.endsWith(".tmp"));
          controller.error(new Error("sender lost its source"));
          return;
        }
        controller.enqueue(chunk);
        produced += chunk.byteLength;
      },
    });
    const conn = await dialStream(ipc, target, DX);
    await assert.rejects(
      sendFile(conn, { name: "big.bin", size: 2 * FILE_PART_BYTES, source }),
      /sender lost its source/,
    );
    conn.close();
    await conn.closed;
    await dxClosed.next("multi-part file cut");
    assert.equal(tempSeen.length, 1, `one temp file while part 2 streamed: ${JSON.stringify(tempSeen)}`);
    assert.deepEqual(await settledListing(ipc, target, received), [], "the temp file is gone after the cut");
  });

  const subscriber = await dialStream(ipc, target, EVENTS);
  const seen: SubscribedEvent[] = [];
  const gotEvent = { waiter: Promise.withResolvers<void>() };
  const subscription = subscribe(subscriber, "status", {
    onEvent: (event) => {
      seen.push(event);
      gotEvent.waiter.resolve();
    },
  });

  /** Publishes `data` on "status" until the subscriber has it; a publication may overtake the subscription. */
  async function publishUntilSeen(data: string): Promise<void> {
    for (let round = 0; round < 20; round++) {
      gotEvent.waiter = Promise.withResolvers<void>();
      await publish(await dialStream(ipc, target, EVENTS), "status", data);
      const arrived = await withDeadline(gotEvent.waiter.promise, 500, "no event").then(
        () => true,
        () => false,
      );
      if (arrived && seen.some((e) => e.data === data)) return;
    }
    throw new Error(`subscriber never got "${data}"; got ${JSON.stringify(seen.map((e) => e.data))}`);
  }

  await t.step("1002: malformed, oversized and cut events drop only their own connection", async () => {
    await publishUntilSeen("ready");
    const failed = logCounter(b, "eventstream connection failed");
    const subscription = encodeEvent({ topic: text.encode("status"), payload: new Uint8Array() });
    const refused: Array<[string, Uint8Array]> = [
      ["topic declaring 65,535 bytes", Uint8Array.fromHex("ffff7374")],
      ["payload declaring 4 GiB after a subscription", Uint8Array.fromHex("0006737461747573ffffffff41")],
      ["payload declaring 16 MiB + 1", Uint8Array.fromHex("000673746174757301000001")],
    ];
    for (const [name, bytes] of refused) {
      const conn = await dialStream(ipc, target, EVENTS);
      await write(conn, bytes);
      assert.equal(await readToEnd(conn, name), 0, `${name}: nothing sent back`);
      conn.close();
      await conn.closed;
      await failed.next(name);
    }
    const publication = encodeEvent({ topic: text.encode("status"), payload: text.encode("partial event") });
    const cut: Array<[string, Uint8Array]> = [
      ["cut inside the topic length", subscription.subarray(0, 1)],
      ["cut inside the topic", subscription.subarray(0, 5)],
      ["cut inside a payload", new Uint8Array([...subscription, ...publication.subarray(0, 15)])],
    ];
    for (const [name, bytes] of cut) {
      const conn = await dialStream(ipc, target, EVENTS);
      await write(conn, bytes);
      conn.close();
      await conn.closed;
      await failed.next(name);
    }
    await dropSessionAfter(
      a,
      target,
      EVENTS,
      new Uint8Array([...subscription, ...publication.subarray(0, 12)]),
    );
    await failed.next("IPC session dropped mid-event");
    await publishUntilSeen("still here");
    const datas = new Set(seen.map((e) => e.data));
    assert.deepEqual([...datas].sort(), ["ready", "still here"], "no partial event reached the subscriber");
  });

  await t.step("7: abrupt disconnects mid-write do not stop the echo service", async () => {
    const big = new Uint8Array(1024 * 1024).fill(0x33);
    const unread = await dialStream(ipc, target, ECHO);
    await write(unread, big); // never read back
    unread.close();
    await unread.closed;
    await dropSessionAfter(a, target, ECHO, big);
    const conn = await dialStream(ipc, target, ECHO);
    await write(conn, text.encode("ping after abuse"));
    const reader = conn.readable.getReader();
    let echoed = "";
    for (let i = 0; i < 16 && echoed.length < 16; i++) {
      const next = await withDeadline(reader.read(), 5_000, "echo did not answer");
      if (next.done) break;
      echoed += new TextDecoder().decode(next.value);
    }
    reader.releaseLock();
    conn.close();
    await conn.closed;
    assert.equal(echoed, "ping after abuse");
  });

  await t.step("afterwards send-message and send-file are served and stored alone", async () => {
    const msgConn = await dialStream(ipc, target, DX);
    const sent = await sendMessage(msgConn, { type: "text", data: "still serving" });
    msgConn.close();
    await msgConn.closed;
    assert.equal(sent.ack, "ACK TEXT 13 bytes");
    const fileConn = await dialStream(ipc, target, DX);
    const data = text.encode("good file");
    await sendFile(fileConn, { name: "good.txt", size: data.byteLength, source: new Blob([data]).stream() });
    fileConn.close();
    await fileConn.closed;
    const messages = await listDir(inbox);
    assert.equal(messages.length, 1, JSON.stringify(messages));
    assert.match(await Deno.readTextFile(`${inbox}/${messages[0]}`), /still serving/);
    const files = await listDir(received);
    assert.equal(files.length, 1, JSON.stringify(files));
    assert.match(files[0] ?? "", /^good-.+\.txt$/);
    assert.equal(await Deno.readTextFile(`${received}/${files[0]}`), "good file");
  });

  subscriber.close();
  const ended = await subscription;
  assert.equal(ended.end, "error");
});
