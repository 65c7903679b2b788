/**
 * The data-exchange service end to end on a real TCP port standing in for port 1001, with the client
 * functions on the other side and real files in a temp home.
 */

import assert from "node:assert/strict";
import {
  DataExchangeServer,
  encodeDataFrame,
  encodeFileFrame,
  inboxPayload,
  listInbox,
  listReceived,
  sendFile,
  sendMessage,
} from "../lib/services/data_exchange/mod.ts";
import type { StoredEvent } from "../lib/services/data_exchange/mod.ts";
import { listNames, readExactly, startTestService } from "../lib/services/data_exchange/_testing.ts";
import { formatLocalRfc3339 } from "../lib/services/data_exchange/_time.ts";
import { Prng } from "../lib/protocol/_fuzz.ts";

const AT = new Date(2026, 10, 24, 18, 33, 2, 877);
const text = new TextEncoder();

function streamOf(bytes: Uint8Array, chunk = 7): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
  });
}

Deno.test("data exchange service: text, JSON and binary land in the inbox in the reference format", async () => {
  await using svc = await startTestService({ now: () => AT });
  const conn = await svc.connect();
  try {
    assert.deepEqual(await sendMessage(conn, { type: "text", data: "task complete" }), {
      type: "text",
      bytes: 13,
      ack: "ACK TEXT 13 bytes",
    });
    assert.equal((await sendMessage(conn, { type: "json", data: '{"result":42}' })).ack, "ACK JSON 13 bytes");
    assert.equal((await sendMessage(conn, { type: "binary", data: "bin" })).ack, "ACK BINARY 3 bytes");
  } finally {
    conn.close();
  }
  const dir = `${svc.home}/inbox`;
  assert.deepEqual(await listNames(dir), [
    "BINARY-20261124-183302.877.json",
    "JSON-20261124-183302.877.json",
    "TEXT-20261124-183302.877.json",
  ]);
  const stamp = formatLocalRfc3339(AT);
  assert.equal(
    await Deno.readTextFile(`${dir}/TEXT-20261124-183302.877.json`),
    `{"bytes":13,"data":"task complete","from":"0:0000.0000.0002","received_at":"${stamp}","type":"TEXT"}`,
  );
  assert.equal(
    await Deno.readTextFile(`${dir}/JSON-20261124-183302.877.json`),
    `{"bytes":13,"data":"{\\"result\\":42}","from":"0:0000.0000.0002","received_at":"${stamp}","type":"JSON"}`,
  );
  assert.equal(
    await Deno.readTextFile(`${dir}/BINARY-20261124-183302.877.json`),
    `{"bytes":3,"data":"bin","from":"0:0000.0000.0002","received_at":"${stamp}","type":"BINARY"}`,
  );
});

Deno.test("data exchange service: random binary messages round-trip losslessly", async () => {
  await using svc = await startTestService();
  const rng = new Prng(42);
  const sent: string[] = [];
  const conn = await svc.connect();
  try {
    for (let i = 0; i < 20; i++) {
      const payload = rng.bytes(1 + rng.below(2000));
      sent.push(payload.toHex());
      assert.equal((await sendMessage(conn, { type: "binary", data: payload })).bytes, payload.byteLength);
    }
  } finally {
    conn.close();
  }
  const inbox = await listInbox(svc.home);
  assert.equal(inbox.total, 20);
  assert.deepEqual(inbox.messages.map((m) => inboxPayload(m.record).toHex()).sort(), sent.sort());
});

Deno.test("data exchange service: two messages and two same-name files in one millisecond all survive", async () => {
  await using svc = await startTestService({ now: () => AT });
  const conn = await svc.connect();
  try {
    await sendMessage(conn, { type: "text", data: "one" });
    await sendMessage(conn, { type: "text", data: "two" });
    for (const content of ["first file", "second file"]) {
      const bytes = text.encode(content);
      const result = await sendFile(conn, {
        name: "report.md",
        size: bytes.byteLength,
        source: streamOf(bytes),
      });
      assert.equal(result.ack, `ACK FILE ${bytes.byteLength} bytes`);
    }
  } finally {
    conn.close();
  }
  assert.deepEqual((await listInbox(svc.home)).messages.map((m) => [m.file, m.data]), [
    ["TEXT-20261124-183302.877.json", "one"],
    ["TEXT-20261124-183302.877_001.json", "two"],
  ]);
  const files = (await listReceived(svc.home)).files;
  assert.deepEqual(files.map((f) => f.name), [
    "report-20261124-183302.877.md",
    "report-20261124-183302.877_001.md",
  ]);
  assert.deepEqual(await Promise.all(files.map((f) => Deno.readTextFile(f.path))), [
    "first file",
    "second file",
  ]);
});

Deno.test("data exchange service: frames that are not stored are still acknowledged, in order", async () => {
  await using svc = await startTestService({ now: () => AT });
  const conn = await svc.connect();
  const frames = [
    encodeDataFrame({ type: 7, payload: text.encode("abc") }),
    encodeDataFrame({ type: 4, payload: Uint8Array.fromHex("00") }), // no room for a name
    encodeDataFrame({ type: 4, payload: Uint8Array.fromHex("00ff6162") }), // name_len past the end
    encodeDataFrame({ type: 4, payload: Uint8Array.fromHex("00006162") }), // empty name
    encodeFileFrame("../../evil.txt", text.encode("x")), // stored as evil-<stamp>.txt
    encodeDataFrame({ type: 0xFFFFFFFF, payload: new Uint8Array(0) }),
  ];
  const replies = [
    "ACK UNKNOWN(7) 3 bytes",
    "ACK FILE 1 bytes",
    "ACK FILE 4 bytes",
    "ACK FILE 2 bytes",
    "ACK FILE 1 bytes",
    "ACK UNKNOWN(4294967295) 0 bytes",
  ];
  try {
    await conn.write(frames.reduce((all, frame) => new Uint8Array([...all, ...frame]), new Uint8Array(0)));
    const reader = conn.readable.getReader();
    const expected = replies.map((reply) => encodeDataFrame({ type: 1, payload: text.encode(reply) }));
    const total = expected.reduce((n, frame) => n + frame.byteLength, 0);
    const got = await readExactly(reader, total);
    assert.equal(got.toHex(), expected.map((frame) => frame.toHex()).join(""));
    reader.releaseLock();
  } finally {
    conn.close();
  }
  assert.deepEqual(await listNames(`${svc.home}/inbox`), []);
  assert.deepEqual((await listReceived(svc.home)).files.map((f) => f.name), ["evil-20261124-183302.877.txt"]);
});

Deno.test("data exchange service: a storage failure answers ERR and the connection keeps working", async () => {
  await using svc = await startTestService();
  await Deno.writeTextFile(`${svc.home}/inbox`, "a file where the inbox folder should be");
  const conn = await svc.connect();
  try {
    await assert.rejects(
      sendMessage(conn, { type: "text", data: "lost" }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, "service_rejected");
        assert.match(err.message, /^ERR TEXT save failed: cannot create .*inbox/);
        return true;
      },
    );
    const bytes = text.encode("still here");
    const result = await sendFile(conn, { name: "ok.txt", size: bytes.byteLength, source: streamOf(bytes) });
    assert.equal(result.ack, "ACK FILE 10 bytes");
  } finally {
    conn.close();
  }
  assert.equal((await listReceived(svc.home)).total, 1);
});

Deno.test("data exchange service: a received folder that cannot be created answers ERR FILE", async () => {
  await using svc = await startTestService();
  await Deno.writeTextFile(`${svc.home}/received`, "a file where the folder should be");
  const conn = await svc.connect();
  try {
    const bytes = text.encode("data");
    await assert.rejects(
      sendFile(conn, { name: "a.txt", size: 4, source: streamOf(bytes) }),
      (err: Error & { code?: string }) =>
        err.code === "service_rejected" && /^ERR FILE save failed: /.test(err.message),
    );
    assert.equal((await sendMessage(conn, { type: "text", data: "ok" })).ack, "ACK TEXT 2 bytes");
  } finally {
    conn.close();
  }
});

Deno.test("data exchange service: each durable save is reported once for webhooks", async () => {
  const events: StoredEvent[] = [];
  await using svc = await startTestService({
    now: () => AT,
    onStored: (event) => {
      events.push(event);
      throw new Error("a failing hook must not break the connection");
    },
  });
  const conn = await svc.connect();
  try {
    await sendMessage(conn, { type: "json", data: "{}" });
    const bytes = text.encode("hello");
    await sendFile(conn, { name: "a.txt", size: 5, source: streamOf(bytes) });
  } finally {
    conn.close();
  }
  assert.deepEqual(events.map((e) => [e.kind, e.bytes, e.name]), [
    ["message", 2, "JSON-20261124-183302.877.json"],
    ["file", 5, "a-20261124-183302.877.txt"],
  ]);
});

Deno.test("data exchange service: starting removes temp files a crash left, and keeps stored ones", async () => {
  const home = await Deno.makeTempDir({ prefix: "dx-crash-" });
  try {
    await Deno.mkdir(`${home}/received`, { recursive: true });
    await Deno.mkdir(`${home}/inbox`);
    await Deno.writeTextFile(`${home}/received/.incoming.0123456789abcdef.tmp`, "half a file");
    await Deno.writeTextFile(`${home}/inbox/.TEXT-x.json.0123456789abcdef.tmp`, '{"bytes"');
    await Deno.writeTextFile(`${home}/received/kept-20261124-183302.877.md`, "kept");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const server = await DataExchangeServer.start(listener, {
      home,
      staleTempAgeMs: 0,
      peerOf: () => ({ address: "0:0000.0000.0002", nodeId: 2 }),
    });
    await server.close();
    assert.deepEqual(await listNames(`${home}/received`), ["kept-20261124-183302.877.md"]);
    assert.deepEqual(await listNames(`${home}/inbox`), []);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("data exchange service: a client given an unknown type refuses before sending", async () => {
  await using svc = await startTestService();
  const conn = await svc.connect();
  try {
    const type = JSON.parse('"xml"');
    await assert.rejects(sendMessage(conn, { type, data: "x" }), {
      code: "invalid_argument",
      message: 'unknown type "xml" (use text, json, or binary)',
    });
    assert.equal((await sendMessage(conn, { type: "text", data: "after" })).ack, "ACK TEXT 5 bytes");
  } finally {
    conn.close();
  }
});

Deno.test("data exchange client: a signal ends the wait for a reply that never comes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const silent = await accepted; // reads nothing, answers nothing
  try {
    const controller = new AbortController();
    const sending = sendMessage(conn, { type: "text", data: "anyone?", signal: controller.signal });
    controller.abort(new Error("gave up"));
    await assert.rejects(sending, { message: "gave up" });
    await assert.rejects(
      sendMessage(conn, { type: "text", data: "x", signal: AbortSignal.abort(new Error("already")) }),
      { message: "already" },
    );
  } finally {
    conn.close();
    silent.close();
    listener.close();
  }
});
