import assert from "node:assert/strict";
import { PilotError } from "../errors.ts";
import { callGatewayControl, GatewayControlServer } from "./control.ts";
import type { ControlReply, ControlRequest } from "./control_messages.ts";

async function withServer(
  handler: (request: ControlRequest) => Promise<ControlReply>,
  body: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gw-ctl-" });
  const path = `${dir}/gateway.sock`;
  try {
    await using _server = await GatewayControlServer.listen(path, handler);
    await body(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("gateway control: a request reaches the handler and its reply comes back", async () => {
  const seen: ControlRequest[] = [];
  await withServer((request) => {
    seen.push(request);
    return Promise.resolve({
      type: "mappings",
      mappings: [{ localIp: "127.77.0.1", pilotAddr: "0:0000.0000.0002" }],
    });
  }, async (path) => {
    assert.equal(((await Deno.stat(path)).mode ?? 0) & 0o777, 0o600, "owner only");
    const reply = await callGatewayControl(path, { op: "list" });
    assert.deepEqual(reply, {
      type: "mappings",
      mappings: [{ localIp: "127.77.0.1", pilotAddr: "0:0000.0000.0002" }],
    });
    assert.deepEqual(seen, [{ op: "list" }]);
  });
});

Deno.test("gateway control: a handler's gateway error becomes an error reply; others are generic", async () => {
  await withServer((request) => {
    if (request.op === "unmap") {
      throw new PilotError("service_gateway_no_mapping", `no mapping for ${request.localIp}`);
    }
    throw new Error("surprise");
  }, async (path) => {
    assert.deepEqual(await callGatewayControl(path, { op: "unmap", localIp: "127.77.0.3" }), {
      type: "error",
      code: "service_gateway_no_mapping",
      message: "no mapping for 127.77.0.3",
    });
    assert.deepEqual(await callGatewayControl(path, { op: "list" }), {
      type: "error",
      code: "service_gateway_failed",
      message: "surprise",
    });
  });
});

async function rawExchange(path: string, bytes: Uint8Array, closeWrite: boolean): Promise<string> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    for (let off = 0; off < bytes.byteLength;) off += await conn.write(bytes.subarray(off));
    if (closeWrite) await conn.closeWrite();
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of conn.readable) chunks.push(decoder.decode(chunk, { stream: true }));
    return chunks.join("");
  } catch (err) {
    return `closed: ${err instanceof Error ? err.name : err}`;
  }
}

Deno.test("gateway control: hostile clients get an error line, never a crash", async () => {
  await withServer(() => Promise.resolve({ type: "unmapped", localIp: "x" }), async (path) => {
    const notJson = await rawExchange(path, new TextEncoder().encode("hello\n"), false);
    assert.match(
      notJson,
      /^\{"type":"error","code":"service_gateway_bad_message","message":"request is not JSON/,
    );
    const cut = await rawExchange(path, new TextEncoder().encode('{"op":"li'), true);
    assert.match(cut, /connection closed before a full line/);
    const huge = await rawExchange(path, new Uint8Array(600 * 1024).fill(0x41), false);
    assert.ok(huge.includes("line longer than") || huge.startsWith("closed"), huge.slice(0, 100));
    // The server still answers afterwards.
    assert.deepEqual(await callGatewayControl(path, { op: "list" }), { type: "unmapped", localIp: "x" });
  });
});

Deno.test("gateway control: nothing listening is service_gateway_unreachable; close removes the socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gw-ctl-" });
  try {
    const path = `${dir}/gateway.sock`;
    await assert.rejects(callGatewayControl(path, { op: "list" }), { code: "service_gateway_unreachable" });
    await Deno.writeTextFile(path, "stale");
    const server = await GatewayControlServer.listen(
      path,
      () => Promise.resolve({ type: "mappings", mappings: [] }),
    );
    assert.deepEqual(await callGatewayControl(path, { op: "list" }), { type: "mappings", mappings: [] });
    await server.close();
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway control: a reply that never comes times out", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gw-ctl-" });
  const path = `${dir}/gateway.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const held: Deno.UnixConn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    await assert.rejects(callGatewayControl(path, { op: "list" }, { timeoutMs: 200 }), {
      code: "service_gateway_timeout",
    });
  } finally {
    listener.close();
    await accepting;
    for (const conn of held) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});
