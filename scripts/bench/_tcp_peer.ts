/**
 * The far end of the raw TCP baselines of `services_throughput.ts`, run as its own process so a
 * baseline crosses processes the way the daemons' services do. It prints its port as the first stdout
 * line and serves until its stdin closes. The first byte of each connection says what it is:
 *
 * - `R` request/response: data-exchange-shaped frames (`type u32 | length u32 | payload`) in, one
 *   short reply frame out for each, as a send-message to port 1001 gets its ACK.
 * - `S` subscriber: answered with one byte `k` once registered, then sent every publisher's bytes.
 * - `P` publisher: event-stream frames (`topic_len u16 | topic | payload_len u32 | payload`); each whole
 *   event is written to every subscriber in its own write, as the broker fans an event out.
 *
 * Usage: `deno run --allow-net scripts/bench/_tcp_peer.ts`.
 *
 * @module
 */

import { printLine } from "../_out.ts";

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
printLine(String(listener.addr.port));
const subscribers = new Set<Deno.Conn>();
const REPLY = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 3, 0x41, 0x43, 0x4b]); // TEXT "ACK"
const MAX_REQUEST = 1 << 20;

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) offset += await conn.write(bytes.subarray(offset));
}

async function serve(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(65536);
  const first = await conn.read(buffer);
  if (first === null || first === 0) return;
  const role = buffer[0];
  if (role === 0x52) { // R
    const request = new Uint8Array(MAX_REQUEST);
    let have = first - 1;
    request.set(buffer.subarray(1, first));
    const wanted = () => have < 8 ? Infinity : 8 + new DataView(request.buffer).getUint32(4);
    // Requests one after another until the client closes; each answered once whole.
    for (;;) {
      while (have < Math.min(wanted(), MAX_REQUEST)) {
        const n = await conn.read(request.subarray(have));
        if (n === null) return;
        have += n;
      }
      const size = wanted();
      await writeAll(conn, REPLY);
      request.copyWithin(0, size, have);
      have -= size;
    }
  } else if (role === 0x53) { // S
    subscribers.add(conn);
    try {
      await writeAll(conn, new Uint8Array([0x6b]));
      while (await conn.read(buffer) !== null) {
        // Subscribers send nothing more; reading only notices the close.
      }
    } finally {
      subscribers.delete(conn);
    }
  } else if (role === 0x50) { // P
    let pending = buffer.slice(1, first);
    for (;;) {
      let offset = 0;
      for (
        let size = eventSize(pending, offset);
        offset + size <= pending.byteLength;
        size = eventSize(pending, offset)
      ) {
        const event = pending.slice(offset, offset + size);
        await Promise.all([...subscribers].map((sub) => writeAll(sub, event).catch(() => {})));
        offset += size;
      }
      const n = await conn.read(buffer);
      if (n === null) break;
      const rest = new Uint8Array(pending.byteLength - offset + n);
      rest.set(pending.subarray(offset));
      rest.set(buffer.subarray(0, n), pending.byteLength - offset);
      pending = rest;
    }
  }
}

/** Size of the event starting at `offset`, or Infinity while its header is incomplete. */
function eventSize(bytes: Uint8Array, offset: number): number {
  if (bytes.byteLength - offset < 2) return Infinity;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset);
  const topic = view.getUint16(0);
  if (bytes.byteLength - offset < 6 + topic) return Infinity;
  return 6 + topic + view.getUint32(2 + topic);
}

const accepting = (async () => {
  for await (const conn of listener) {
    serve(conn).catch(() => {}).finally(() => {
      try {
        conn.close();
      } catch {
        // Already closed by the other side's reset.
      }
    });
  }
})();

// Stdin closing is the stop signal: the bench process never needs to signal this one.
for await (const _ of Deno.stdin.readable) {
  // Nothing is sent on stdin.
}
listener.close();
for (const sub of subscribers) sub.close();
await accepting.catch(() => {});
