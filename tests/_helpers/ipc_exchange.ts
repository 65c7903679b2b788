/**
 * Moves bytes between two running daemons the way an application does: over each daemon's IPC socket,
 * one side bound to a port, the other dialling it, both directions at once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { IpcClient } from "../../lib/ipc/mod.ts";
import { parseAddress } from "../../lib/protocol/mod.ts";
import type { TestDaemon } from "./daemon.ts";
import { withDeadline } from "./deadline.ts";

/** Deterministic bytes, different per seed, so a swapped or shifted stream cannot pass. */
export function pattern(size: number, seed: number): Uint8Array {
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

/** Options of {@linkcode exchange}. */
export interface ExchangeOptions {
  port: number;
  bytes: number;
  timeoutMs: number;
}

/** A dials B on `port`; each sends `bytes` to the other; both must arrive byte-exact. */
export async function exchange(a: TestDaemon, b: TestDaemon, options: ExchangeOptions): Promise<void> {
  await using server = await IpcClient.connect(b.socket);
  await using client = await IpcClient.connect(a.socket);
  await server.bind(options.port);
  const toB = pattern(options.bytes, 1);
  const toA = pattern(options.bytes, 2);
  const connId = await client.dial(parseAddress(b.address), options.port);
  const accepted = await server.accept(options.port);
  assert.equal(accepted.remoteAddress.node, a.nodeId);
  const both = Promise.all([
    (async () => {
      const sending = server.send(accepted.connId, toA);
      const got = await readExactly(server, accepted.connId, options.bytes);
      await sending;
      return got;
    })(),
    (async () => {
      const sending = client.send(connId, toB);
      const got = await readExactly(client, connId, options.bytes);
      await sending;
      return got;
    })(),
  ]);
  const [gotAtB, gotAtA] = await withDeadline(
    both,
    options.timeoutMs,
    `${options.bytes} bytes each way did not arrive`,
  );
  assert.deepEqual(gotAtB, toB);
  assert.deepEqual(gotAtA, toA);
  await client.closeConnection(connId);
}
