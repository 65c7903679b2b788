/**
 * IpcServer and IpcClient over real unix sockets in a temp dir, with a small handler standing in for
 * the daemon: ordering, pushes, large Sends, malformed frames, disconnects and the socket file.
 */
import assert from "node:assert/strict";
import { isPilotError, PilotError } from "../lib/errors.ts";
import { IpcClient } from "../lib/ipc/client.ts";
import { MAX_IPC_BODY } from "../lib/ipc/constants.ts";
import { IpcFrameDecoderStream } from "../lib/ipc/frame_stream.ts";
import { decodeIpcMessage, encodeIpcFrame, type IpcMessage, type IpcRequest } from "../lib/ipc/messages.ts";
import { type IpcHandler, IpcServer, type IpcSession } from "../lib/ipc/server.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const NODE2 = { network: 0, node: 2 };

/** A toy daemon: binds, dials, collects Send data per conn, echoes on port 7, answers Info. */
class TestDaemon implements IpcHandler {
  bound = new Map<number, IpcSession>();
  received = new Map<number, Uint8Array[]>();
  sendFrames = 0;
  order: string[] = [];
  closedClients: number[] = [];
  clientClosed = Promise.withResolvers<IpcSession>();
  gate: PromiseWithResolvers<void> | null = null;
  #nextConn = 1;
  #echo = new Set<number>();

  async handleMessage(client: IpcSession, msg: IpcRequest): Promise<void> {
    this.order.push(msg.kind);
    switch (msg.kind) {
      case "bind":
        if (this.bound.has(msg.port)) throw new PilotError("ipc_error", `port ${msg.port} already bound`);
        this.bound.set(msg.port, client);
        await client.send({ kind: "bind_ok", port: msg.port });
        return;
      case "dial": {
        if (this.gate !== null) await this.gate.promise;
        const connId = this.#nextConn++;
        if (msg.port === 7) this.#echo.add(connId);
        this.received.set(connId, []);
        await client.send({ kind: "dial_ok", connId });
        return;
      }
      case "send": {
        const parts = this.received.get(msg.connId);
        if (parts === undefined) throw new PilotError("ipc_error", `connection ${msg.connId} not found`);
        this.sendFrames++;
        parts.push(msg.data.slice());
        if (this.#echo.has(msg.connId)) {
          await client.send({ kind: "recv", connId: msg.connId, data: msg.data });
        }
        return;
      }
      case "close":
        await client.send({ kind: "close_ok", connId: msg.connId });
        await client.send({ kind: "close_ok", connId: msg.connId }); // the end-of-stream push (§9.5)
        return;
      case "info":
        await client.send({ kind: "info_ok", json: { node_id: 1, ports: this.bound.size } });
        return;
      case "resolve_hostname":
        await client.send({ kind: "resolve_hostname_ok", json: { hostname: msg.hostname, node_id: 2 } });
        return;
      default:
        throw new PilotError("ipc_error", `${msg.kind}: not supported by the test daemon`);
    }
  }

  onClientClosed(client: IpcSession): void {
    this.closedClients.push(client.id);
    for (const [port, owner] of this.bound) if (owner === client) this.bound.delete(port);
    this.clientClosed.resolve(client);
  }
}

async function withServer(
  fn: (server: IpcServer, daemon: TestDaemon, path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ipc-" });
  const path = `${dir}/p.sock`;
  const daemon = new TestDaemon();
  try {
    await using server = await IpcServer.listen({ path, handler: daemon });
    await fn(server, daemon, path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A raw connection speaking frames by hand, for input our client would never send. */
async function rawConnect(path: string) {
  const conn = await Deno.connect({ transport: "unix", path });
  const reader = conn.readable.pipeThrough(new IpcFrameDecoderStream()).getReader();
  const writer = conn.writable.getWriter();
  return {
    write: (bytes: Uint8Array) => writer.write(bytes),
    async next(): Promise<IpcMessage> {
      const { value, done } = await reader.read();
      assert.ok(!done && value.type === "body", "a frame came back");
      return decodeIpcMessage(value.body);
    },
    async close() {
      writer.releaseLock();
      await reader.cancel().catch(() => {}); // cancelling may close the conn under us
      try {
        conn.close();
      } catch {
        // Cancelling the readable already closed it.
      }
    },
  };
}

Deno.test("ipc: concurrent requests each get their own reply, in order", async () => {
  await withServer(async (_server, daemon, path) => {
    await using client = await IpcClient.connect(path);
    const [port, info, resolved, connId] = await Promise.all([
      client.bind(3000),
      client.info(),
      client.resolveHostname("beta"),
      client.dial(NODE2, 1001),
    ]);
    assert.equal(port, 3000);
    assert.deepEqual(info, { node_id: 1, ports: 1 });
    assert.deepEqual(resolved, { hostname: "beta", node_id: 2 });
    assert.equal(connId, 1);
    assert.deepEqual(daemon.order, ["bind", "info", "resolve_hostname", "dial"]);
  });
});

Deno.test("ipc: a daemon Error rejects the request with its text, and the next request still matches", async () => {
  await withServer(async (_server, _daemon, path) => {
    await using a = await IpcClient.connect(path);
    await using b = await IpcClient.connect(path);
    await a.bind(3000);
    await assert.rejects(b.bind(3000), { code: "ipc_error", message: "port 3000 already bound" });
    assert.deepEqual(await b.info(), { node_id: 1, ports: 1 });
  });
});

Deno.test("ipc: a failed Send's error is not taken as the reply to the next request (§9.5 quirk fixed)", async () => {
  await withServer(async (_server, _daemon, path) => {
    const errors: PilotError[] = [];
    const gotError = Promise.withResolvers<void>();
    await using client = await IpcClient.connect(path, {
      onError: (err) => {
        errors.push(err);
        gotError.resolve();
      },
    });
    await client.send(777, Uint8Array.of(0x78));
    assert.deepEqual(await client.info(), { node_id: 1, ports: 0 });
    await gotError.promise;
    assert.equal(errors[0].message, "connection 777 not found");
    await assert.rejects(client.send(777, Uint8Array.of(1)), { code: "ipc_error" });
    await assert.rejects(client.recv(777), { message: "connection 777 not found" });
  });
});

Deno.test("ipc: pushes reach their queues: Recv data in order, then CloseOK as end of stream", async () => {
  await withServer(async (_server, _daemon, path) => {
    await using client = await IpcClient.connect(path);
    const connId = await client.dial(NODE2, 7);
    await client.send(connId, new TextEncoder().encode("ping-0"));
    await client.send(connId, new TextEncoder().encode("ping-1"));
    assert.equal(new TextDecoder().decode((await client.recv(connId)) ?? undefined), "ping-0");
    assert.equal(new TextDecoder().decode((await client.recv(connId)) ?? undefined), "ping-1");
    await client.closeConnection(connId); // resolves although two CloseOK frames come back
    assert.equal(await client.recv(connId), null);
    assert.deepEqual(await client.info(), { node_id: 1, ports: 0 }); // the duplicate CloseOK took no reply
  });
});

Deno.test("ipc: sendClose says when the Close is on the socket and when it is answered", async () => {
  await withServer(async (_server, daemon, path) => {
    await using client = await IpcClient.connect(path);
    const connId = await client.dial(NODE2, 1001);
    daemon.gate = Promise.withResolvers<void>(); // holds the next Dial, so the Close behind it waits
    const held = client.dial(NODE2, 1001);
    const { sent, answered } = client.sendClose(connId);
    let isAnswered = false;
    void answered.then(() => isAnswered = true);
    await sent;
    assert.equal(isAnswered, false, "on the socket, not yet run by the daemon");
    daemon.gate.resolve();
    await held;
    await answered;
    assert.deepEqual(daemon.order, ["dial", "dial", "close"]);
  });
});

Deno.test("ipc: forget drops what was buffered for a closed conn, so a session can be reused without pausing", async () => {
  await withServer(async (_server, _daemon, path) => {
    await using client = await IpcClient.connect(path);
    const chunk = new Uint8Array(1024 * 1024);
    // Two conns on one session each leave 5 MiB unread: without forget the second would pass the 8 MiB
    // the client buffers before it stops reading, and its CloseOK would never be read.
    for (let round = 0; round < 2; round++) {
      const connId = await client.dial(NODE2, 7); // the test daemon echoes every Send as Recv
      for (let i = 0; i < 5; i++) await client.send(connId, chunk);
      await withDeadline(client.closeConnection(connId), 5_000, `round ${round}: CloseOK read`);
      client.forget(connId);
      assert.equal(await client.recv(connId), null, "a forgotten conn has ended");
    }
    assert.deepEqual(await client.info(), { node_id: 1, ports: 0 });
  });
});

Deno.test("ipc: Accept and RecvFrom pushes are delivered to the client that should get them", async () => {
  await withServer(async (_server, daemon, path) => {
    await using client = await IpcClient.connect(path);
    await client.bind(1000);
    const session = daemon.bound.get(1000);
    assert.ok(session !== undefined);
    await session.send({
      kind: "accept",
      localPort: 1000,
      connId: 4,
      remoteAddress: NODE2,
      remotePort: 49154,
    });
    await session.send({ kind: "recv", connId: 4, data: Uint8Array.of(1, 2) });
    await session.send({ kind: "close_ok", connId: 4 });
    await session.send({
      kind: "recv_from",
      srcAddress: NODE2,
      srcPort: 0xc002,
      dstPort: 3000,
      data: Uint8Array.of(9),
    });
    const accepted = await client.accept(1000);
    assert.deepEqual(accepted, { localPort: 1000, connId: 4, remoteAddress: NODE2, remotePort: 49154 });
    assert.deepEqual(await client.recv(4), Uint8Array.of(1, 2));
    assert.equal(await client.recv(4), null);
    const datagram = await client.recvFrom();
    assert.deepEqual(datagram, { srcAddress: NODE2, srcPort: 0xc002, dstPort: 3000, data: Uint8Array.of(9) });
  });
});

Deno.test("ipc: a 5 MiB Send is split into frames of at most 1 MiB and reassembled in order", async () => {
  await withServer(async (_server, daemon, path) => {
    await using client = await IpcClient.connect(path);
    const connId = await client.dial(NODE2, 1001);
    const data = new Uint8Array(5 * 1024 * 1024 + 123);
    for (let i = 0; i < data.byteLength; i++) data[i] = (i * 31 + (i >>> 16)) & 0xff;
    await client.send(connId, data);
    await client.info(); // commands run in order: once Info is answered, every Send frame was handled
    const parts = daemon.received.get(connId) ?? [];
    assert.equal(daemon.sendFrames, 6);
    assert.ok(parts.every((p) => p.byteLength <= MAX_IPC_BODY - 5));
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) {
      joined.set(p, offset);
      offset += p.byteLength;
    }
    assert.ok(joined.byteLength === data.byteLength && joined.every((b, i) => b === data[i]), "same bytes");
  });
});

Deno.test("ipc: an oversized frame gets an Error and the connection keeps working", async () => {
  await withServer(async (_server, _daemon, path) => {
    const raw = await rawConnect(path);
    try {
      const prefix = new Uint8Array(4);
      new DataView(prefix.buffer).setUint32(0, MAX_IPC_BODY + 1);
      await raw.write(prefix);
      assert.deepEqual(await raw.next(), {
        kind: "error",
        code: 1,
        message: `frame too large: ${MAX_IPC_BODY + 1} bytes (max ${MAX_IPC_BODY})`,
      });
      await raw.write(new Uint8Array(MAX_IPC_BODY + 1).fill(0x06));
      await raw.write(encodeIpcFrame({ kind: "info" }));
      const reply = await raw.next();
      assert.equal(reply.kind, "info_ok");
    } finally {
      await raw.close();
    }
  });
});

Deno.test("ipc: unknown, reply-only and truncated commands are answered with the daemon's texts", async () => {
  await withServer(async (_server, _daemon, path) => {
    const raw = await rawConnect(path);
    try {
      await raw.write(
        Uint8Array.fromHex("000000017f" + "00000003020bb8" + "0000000101" + "00000000" + "0000000117"),
      );
      const texts = [];
      for (let i = 0; i < 4; i++) {
        const msg = await raw.next();
        assert.equal(msg.kind, "error");
        texts.push(msg.message);
      }
      assert.deepEqual(texts, [
        "unknown command: 0x7F",
        "unknown command: 0x02",
        "bind: missing port",
        "deregister: not supported by the test daemon",
      ]);
    } finally {
      await raw.close();
    }
  });
});

Deno.test("ipc: a client disconnect fires onClientClosed and frees its ports", async () => {
  await withServer(async (server, daemon, path) => {
    const client = await IpcClient.connect(path);
    await client.bind(5000);
    assert.equal(server.sessions.size, 1);
    await client.close();
    const gone = await daemon.clientClosed.promise;
    assert.equal(gone.isOpen, false);
    assert.deepEqual(daemon.closedClients, [gone.id]);
    assert.equal(daemon.bound.size, 0);
    assert.equal(server.sessions.size, 0);
  });
});

Deno.test("ipc: an abandoned request still consumes its late reply", async () => {
  await withServer(async (_server, daemon, path) => {
    await using client = await IpcClient.connect(path);
    daemon.gate = Promise.withResolvers<void>();
    const abort = new AbortController();
    const dial = client.dial(NODE2, 1001, { signal: abort.signal });
    const info = client.info(); // queued behind the slow Dial (§9.5)
    abort.abort(new DOMException("deadline", "TimeoutError"));
    await assert.rejects(dial, { code: "timeout", message: "dial timed out" });
    daemon.gate.resolve();
    assert.deepEqual(await info, { node_id: 1, ports: 0 });
    assert.equal(await client.dial(NODE2, 1001), 2);
  });
});

Deno.test("ipc: when the daemon goes away every wait fails with `daemon disconnected`", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipc-" });
  const path = `${dir}/p.sock`;
  const daemon = new TestDaemon();
  daemon.gate = Promise.withResolvers<void>();
  const server = await IpcServer.listen({ path, handler: daemon });
  try {
    await using client = await IpcClient.connect(path);
    const dial = client.dial(NODE2, 1001);
    const recv = client.recv(9);
    const closing = server.close();
    await assert.rejects(dial, { code: "ipc_disconnected", message: "daemon disconnected" });
    await assert.rejects(recv, { code: "ipc_disconnected" });
    daemon.gate.resolve();
    await closing;
    await assert.rejects(client.info(), (err) => isPilotError(err, "ipc_disconnected"));
  } finally {
    daemon.gate.resolve();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ipc: the socket file is replaced when stale, has mode 0600 and is removed by close()", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ipc-" });
  const path = `${dir}/p.sock`;
  try {
    await Deno.writeTextFile(path, "stale");
    const server = await IpcServer.listen({ path, handler: new TestDaemon() });
    const stat = await Deno.lstat(path);
    assert.equal(stat.isSocket, true);
    assert.equal((stat.mode ?? 0) & 0o777, 0o600);
    await using client = await IpcClient.connect(path);
    assert.deepEqual(await client.info(), { node_id: 1, ports: 0 });
    await server.close();
    await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
