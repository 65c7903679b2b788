/**
 * The echo service and the ping/bench exchanges on real TCP sockets at 127.0.0.1 port 0.
 */

import { deepEqual, equal, rejects } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { benchEcho, pingOnce, rttMsOf, serveEcho } from "../lib/services/echo/mod.ts";
import { Prng } from "../lib/protocol/_fuzz.ts";
import { withDeadline } from "./_helpers/deadline.ts";

/** An echo service on a fresh port; `await using` stops it and waits for its connections. */
function startEcho() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const controller = new AbortController();
  const served = serveEcho(listener, { signal: controller.signal });
  return {
    dial: () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    served,
    /** Stops accepting without closing open connections. */
    closeListener: () => listener.close(),
    stop: () => controller.abort(),
    [Symbol.asyncDispose]: async () => {
      controller.abort();
      await served;
    },
  };
}

/** A raw listener whose connections `handle` serves, for peers that misbehave on purpose. */
function startRaw(handle: (conn: Deno.TcpConn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handled: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      handled.push(
        handle(conn).finally(() => {
          try {
            conn.close();
          } catch {
            // The handler closed it already.
          }
        }),
      );
    }
  })();
  return {
    dial: () => Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await accepting;
      await Promise.all(handled);
    },
  };
}

Deno.test("echo: 10 MB come back byte for byte", async () => {
  await using echo = startEcho();
  const conn = await echo.dial();
  try {
    const size = 10_000_000;
    const sent = new Prng(7).bytes(size);
    const reading = (async () => {
      const got = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const n = await conn.read(got.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      return got.subarray(0, filled);
    })();
    // Written in uneven pieces, so chunk boundaries on both sides differ.
    for (let at = 0, piece = 1; at < size; at += piece, piece = (piece * 7) % 65_521 + 1) {
      const part = sent.subarray(at, Math.min(size, at + piece));
      for (let offset = 0; offset < part.byteLength;) offset += await conn.write(part.subarray(offset));
    }
    const got = await withDeadline(reading, 20_000, "the echo of 10 MB did not come back");
    equal(got.byteLength, size);
    equal(Buffer.compare(got, sent), 0, "echoed bytes differ from sent bytes");
  } finally {
    conn.close();
  }
});

Deno.test("echo: a connection's handler ends when its peer closes", async () => {
  const echo = startEcho();
  const conn = await echo.dial();
  await conn.write(new TextEncoder().encode("bye"));
  equal(await conn.read(new Uint8Array(8)), 3);
  conn.close();
  // Closing only the listener: serveEcho resolves once the last handler has returned on its own.
  echo.closeListener();
  await withDeadline(echo.served, 5_000, "the handler did not end after the peer closed");
});

Deno.test("echo: shutdown closes open connections and serveEcho resolves", async () => {
  const echo = startEcho();
  const idle = await echo.dial();
  await conn0(echo);
  echo.stop();
  await withDeadline(echo.served, 5_000, "serveEcho did not resolve after abort");
  equal(await withDeadline(idle.read(new Uint8Array(8)), 5_000, "open connection was not closed"), null);
  idle.close();
});

// One full exchange, so the service has surely accepted the connections dialled before it.
async function conn0(echo: { dial: () => Promise<Deno.TcpConn> }): Promise<void> {
  const result = await pingOnce(await echo.dial(), 0);
  if (!("bytes" in result)) throw new Error(`echo did not answer: ${result.error}`);
}

Deno.test("pingOnce: ping-0 comes back as 6 bytes with a sane RTT", async () => {
  await using echo = startEcho();
  const startedAt = performance.now();
  const result = await pingOnce(await echo.dial(), 0, { startedAt });
  const elapsed = performance.now() - startedAt;
  if (!("bytes" in result)) throw new Error(`ping failed: ${result.error}`);
  equal(result.seq, 0);
  equal(result.bytes, 6);
  equal(
    result.rttMs > 0 && result.rttMs <= elapsed,
    true,
    `rtt ${result.rttMs} ms, whole call ${elapsed} ms`,
  );
  equal(result.rttMs, rttMsOf(result.elapsedMs), "rtt_ms is whole microseconds / 1000");
  const ten = await pingOnce(await echo.dial(), 10);
  deepEqual("bytes" in ten ? ten.bytes : ten.error, 7, "ping-10 is 7 bytes");
});

Deno.test("rttMsOf: keeps whole microseconds, as the reference's rtt_ms", () => {
  equal(rttMsOf(10.8834999), 10.883);
  equal(rttMsOf(0.0009), 0);
  equal(rttMsOf(11.18), 11.18);
});

Deno.test("pingOnce: a peer that closes without answering gives the error EOF", async () => {
  await using raw = startRaw(async (conn) => {
    await conn.read(new Uint8Array(16)); // take ping-0, answer nothing
  });
  const result = await withDeadline(pingOnce(await raw.dial(), 0), 5_000, "ping did not end");
  deepEqual("error" in result ? result.error : result, "EOF");
});

Deno.test("pingOnce: aborting a probe that gets no answer closes it with an error result", async () => {
  const release = Promise.withResolvers<void>();
  await using raw = startRaw(async (conn) => {
    await conn.read(new Uint8Array(16));
    await release.promise; // hold the connection open, silent
  });
  const controller = new AbortController();
  const probe = pingOnce(await raw.dial(), 0, { signal: controller.signal });
  controller.abort(new Error("interrupted"));
  const result = await withDeadline(probe, 5_000, "abort did not end the probe");
  release.resolve();
  deepEqual("error" in result ? result.error : result, "interrupted");
});

Deno.test("benchEcho: returns the spec's fields for an uneven size", async () => {
  await using echo = startEcho();
  const total = Math.floor(0.01 * 1_048_576); // `bench <addr> 0.01` → 10485 bytes (cli.md §14.5)
  const progress: number[] = [];
  const result = await benchEcho(await echo.dial(), {
    bytes: total,
    onProgress: (p) => progress.push(p.recvBytes),
  });
  equal(result.sentBytes, total);
  equal(result.recvBytes, total);
  equal(result.timedOut, false);
  equal(result.readError, undefined);
  equal(Number.isInteger(result.sendDurationMs) && Number.isInteger(result.totalDurationMs), true);
  equal(result.sendDurationMs, Math.floor(result.sendElapsedMs));
  equal(result.totalDurationMs, Math.floor(result.totalElapsedMs));
  equal(result.sendElapsedMs <= result.totalElapsedMs, true);
  equal(result.sendMbps, total / (result.sendElapsedMs / 1000) / 1_048_576);
  equal(result.totalMbps, total / (result.totalElapsedMs / 1000) / 1_048_576);
  equal(progress.at(-1), total, "the last progress report is the final count");
});

Deno.test("benchEcho: the bytes on the wire are 4096-byte pieces of i mod 256", async () => {
  const total = 3 * 4096 + 1000;
  let seen: Uint8Array | undefined;
  await using raw = startRaw(async (conn) => {
    const got = new Uint8Array(total);
    let filled = 0;
    while (filled < total) {
      const n = await conn.read(got.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    seen = got.subarray(0, filled);
    for (let offset = 0; offset < filled;) offset += await conn.write(got.subarray(offset, filled));
  });
  const result = await benchEcho(await raw.dial(), { bytes: total });
  equal(result.recvBytes, total);
  const expected = Uint8Array.from({ length: total }, (_, k) => (k % 4096) % 256);
  deepEqual(seen, expected);
});

Deno.test("benchEcho: a peer that never echoes ends in the receive timeout, not a hang", async () => {
  const release = Promise.withResolvers<void>();
  await using raw = startRaw(async (conn) => {
    const buffer = new Uint8Array(65_536);
    let got = 0;
    while (got < 65_536) got += (await conn.read(buffer)) ?? 65_536; // swallow, never answer
    await release.promise;
  });
  const result = await benchEcho(await raw.dial(), { bytes: 65_536, timeoutMs: 100 });
  release.resolve();
  equal(result.timedOut, true);
  equal(result.sentBytes, 65_536);
  equal(result.recvBytes, 0);
});

Deno.test("benchEcho: a peer that closes at once fails the writes with connection_failed", async () => {
  await using raw = startRaw(async () => {
    // Closed by startRaw as soon as this returns: any further write meets a reset.
  });
  await withDeadline(
    rejects(benchEcho(await raw.dial(), { bytes: 512 * 1_048_576 }), (err: unknown) => {
      if (!(err instanceof Error) || !("code" in err)) return false;
      equal(err.code, "connection_failed");
      equal(err.message.startsWith("write: "), true, err.message);
      return true;
    }),
    20_000,
    "bench kept writing to a closed peer",
  );
});

Deno.test("benchEcho: 20 MB through the echo service at a sane rate", async () => {
  await using echo = startEcho();
  const result = await benchEcho(await echo.dial(), { bytes: 20 * 1_048_576 });
  equal(result.recvBytes, 20 * 1_048_576);
  // Loopback runs at hundreds of MiB/s here; 10 is a floor that catches lock-step regressions only.
  equal(result.totalMbps > 10, true, `${result.totalMbps.toFixed(1)} MiB/s`);
});

Deno.test("benchEcho: aborting a run that gets no echo rejects with the abort reason", async () => {
  const release = Promise.withResolvers<void>();
  const started = Promise.withResolvers<void>();
  await using raw = startRaw(async (conn) => {
    await conn.read(new Uint8Array(4096)); // the first piece arrived: the run is under way
    started.resolve();
    await release.promise;
  });
  const controller = new AbortController();
  const run = benchEcho(await raw.dial(), { bytes: 65_536, signal: controller.signal });
  await withDeadline(started.promise, 5_000, "bench did not start writing");
  controller.abort(new Error("stopped by user"));
  await withDeadline(rejects(run, /stopped by user/), 5_000, "abort did not end the bench");
  release.resolve();
});
