/**
 * The receiving end of `many_streams.ts`, run as its own process so the overlay run and its raw TCP
 * baseline both cross processes the same way. It accepts every connection and checks each against
 * `_stream_pattern.ts`, reading it to its end (`eof`), or (`count`) only until the stream's length
 * has arrived and then closing it, which is how the sender learns that every byte got here. It
 * reports on stdout, one JSON object a line:
 *
 * - first `{"ready":true,"port":P}` once it is listening (P is the TCP port; 0 on the overlay);
 * - `{"done":I,"received":N,"fault":""}` when a stream has ended (`fault` says what was wrong, if
 *   anything; `done` is -1 for a stream too short to name itself);
 * - `{"bytes":N}` every 250 ms while the total received grows, so a stall shows as silence.
 *
 * It serves until its stdin closes, as `_tcp_peer.ts` does.
 *
 * Usage: `deno run --allow-net=127.0.0.1 _stream_sink.ts tcp <bytes> eof|count`, or
 * `deno run --allow-net --allow-read=S --allow-write=S _stream_sink.ts pilot <bytes> eof|count S <port>`
 * for a daemon whose IPC socket is S.
 *
 * @module
 */

import { connect } from "../../lib/sdk/mod.ts";
import { printLine } from "../_out.ts";
import { type StreamChecker, StreamPattern } from "./_stream_pattern.ts";

const PROGRESS_INTERVAL_MS = 250;
const TCP_READ_BYTES = 64 * 1024;

const [mode, bytesArg, endArg, socket, portArg] = Deno.args;
const pattern = new StreamPattern(Number(bytesArg));
const endsAtCount = endArg === "count";
let totalBytes = 0;

function report(checker: StreamChecker, error?: unknown): void {
  const verdict = checker.finish();
  const fault = error === undefined
    ? verdict.fault
    : `read failed after ${verdict.received} bytes: ${error instanceof Error ? error.message : error}`;
  printLine(JSON.stringify({ done: verdict.index, received: verdict.received, fault }));
}

/**
 * Checks one stream from `next` (a chunk, or null at its end) and reports it; then closes it, which in
 * `count` mode is what tells the sender that everything arrived.
 */
async function serve(next: () => Promise<Uint8Array | null>, close: () => void): Promise<void> {
  const checker = pattern.checker();
  try {
    while (!(endsAtCount && checker.received >= pattern.bytes)) {
      const chunk = await next();
      if (chunk === null) break;
      checker.feed(chunk);
      totalBytes += chunk.byteLength;
    }
    report(checker);
  } catch (err) {
    report(checker, err);
  } finally {
    close();
  }
}

function serveTcp(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(TCP_READ_BYTES);
  return serve(async () => {
    const n = await conn.read(buffer);
    return n === null ? null : buffer.subarray(0, n);
  }, () => conn.close());
}

function serveOverlay(conn: { readable: ReadableStream<Uint8Array>; close(): void }): Promise<void> {
  // The daemon's own chunks, with no copy into a buffer of ours.
  const reader = conn.readable.getReader();
  return serve(async () => {
    const { done, value } = await reader.read();
    return done ? null : value;
  }, () => conn.close());
}

async function acceptAll<C>(listener: AsyncIterable<C>, handle: (conn: C) => Promise<void>): Promise<void> {
  const serving = new Set<Promise<void>>();
  try {
    for await (const conn of listener) {
      // Served beside the accept loop: one slow stream must not hold up the next accept.
      const done = handle(conn).finally(() => serving.delete(done));
      serving.add(done);
    }
  } catch {
    // The listener closed under the loop at shutdown; the streams still finish below.
  }
  await Promise.all(serving);
}

let lastReported = 0;
const progress = setInterval(() => {
  if (totalBytes === lastReported) return;
  lastReported = totalBytes;
  printLine(JSON.stringify({ bytes: totalBytes }));
}, PROGRESS_INTERVAL_MS);

let close: () => void | Promise<void>;
let accepting: Promise<void>;
if (mode === "tcp") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  printLine(JSON.stringify({ ready: true, port: listener.addr.port }));
  close = () => listener.close();
  accepting = acceptAll(listener, serveTcp);
} else if (mode === "pilot" && socket !== undefined && portArg !== undefined) {
  const pilot = await connect({ socket });
  const listener = await pilot.listen({ port: Number(portArg) });
  printLine(JSON.stringify({ ready: true, port: 0 }));
  close = () => pilot.close();
  accepting = acceptAll(listener, serveOverlay);
} else {
  throw new Error(`usage: _stream_sink.ts tcp|pilot <bytes> eof|count [<socket> <port>], got ${Deno.args}`);
}

// Stdin closing is the stop signal: the bench process never needs to signal this one.
for await (const _ of Deno.stdin.readable) {
  // Nothing is sent on stdin.
}
clearInterval(progress);
await close();
await accepting;
