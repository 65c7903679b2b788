import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { formatUdpAddr, sameUdpAddr, type UdpAddr, UdpEndpoint } from "./udp_endpoint.ts";
import { withDeadline } from "../../tests/_helpers/deadline.ts";

const LOOPBACK = { hostname: "127.0.0.1", port: 0 };

/** Receives `count` datagrams from `endpoint` (copies), failing after `ms` naming how many came. */
async function receiveMany(endpoint: UdpEndpoint, count: number, ms = 5_000): Promise<Uint8Array[]> {
  const got: Uint8Array[] = [];
  const buffer = new Uint8Array(2048);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${got.length} of ${count} datagrams in ${ms} ms`)), ms);
  });
  try {
    while (got.length < count) {
      const [bytes] = await Promise.race([endpoint.receive(buffer), deadline]);
      got.push(bytes.slice());
    }
    return got;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("formatUdpAddr: brackets an IPv6 host, and sameUdpAddr compares host and port", () => {
  assert.equal(formatUdpAddr({ hostname: "10.0.0.1", port: 9000 }), "10.0.0.1:9000");
  assert.equal(formatUdpAddr({ hostname: "::1", port: 9000 }), "[::1]:9000");
  assert.equal(sameUdpAddr({ hostname: "::1", port: 1 }, { hostname: "::1", port: 1 }), true);
  assert.equal(sameUdpAddr({ hostname: "::1", port: 1 }, { hostname: "::1", port: 2 }), false);
  assert.equal(sameUdpAddr({ hostname: "::1", port: 1 }, undefined), false);
});

Deno.test("UdpEndpoint: datagrams sent without waiting leave in call order", async () => {
  await using a = UdpEndpoint.bind(LOOPBACK);
  await using b = UdpEndpoint.bind(LOOPBACK);
  const sends: Promise<void>[] = [];
  for (let i = 0; i < 200; i++) sends.push(a.send(new Uint8Array([i]), b.addr));
  assert.equal(a.sendsInFlight, 200);
  const got = await receiveMany(b, 200);
  await Promise.all(sends);
  assert.equal(a.sendsInFlight, 0);
  assert.deepEqual(got.map((d) => d[0]), Array.from({ length: 200 }, (_, i) => i));
});

Deno.test("UdpEndpoint: a taken port fails with the owner's code, Deno's cause and the hint", () => {
  const taken = Deno.listenDatagram({ transport: "udp", ...LOOPBACK });
  const addr = taken.addr;
  try {
    assert(addr.transport === "udp");
    const port = { hostname: "127.0.0.1", port: addr.port };
    assert.throws(() => UdpEndpoint.bind(port), (err: unknown) => {
      assert(isPilotError(err, "tunnel_bind_failed"));
      assert(err.cause instanceof Deno.errors.AddrInUse);
      assert.match(err.message, new RegExp(`listen udp 127\\.0\\.0\\.1:${addr.port}: `));
      return true;
    });
    assert.throws(
      () => UdpEndpoint.bind(port, { errorArea: "beacon", bindHint: "use -addr" }),
      (err: unknown) => isPilotError(err, "beacon_bind_failed") && err.hint === "use -addr",
    );
  } finally {
    taken.close();
  }
});

Deno.test("UdpEndpoint: after close a send is refused and a queued one fails, both with codes", async () => {
  const a = UdpEndpoint.bind(LOOPBACK, { errorArea: "beacon" });
  await using b = UdpEndpoint.bind(LOOPBACK);
  const first = a.send(new Uint8Array([1]), b.addr);
  const queued = a.send(new Uint8Array([2]), b.addr);
  a.close();
  a.close(); // idempotent
  const outcomes = await Promise.allSettled([first, queued]);
  // The first may already be on the wire when close runs; the queued one cannot be.
  const last = outcomes[1];
  assert(last.status === "rejected" && isPilotError(last.reason, "beacon_send_failed"));
  await a.settled();
  await assert.rejects(a.send(new Uint8Array([3]), b.addr), { code: "beacon_closed" });
  assert.equal(a.closed, true);
});

Deno.test("UdpEndpoint: receiveEach awaits a handler before reusing the buffer, and survives a throw", async () => {
  await using a = UdpEndpoint.bind(LOOPBACK);
  const b = UdpEndpoint.bind(LOOPBACK);
  const abort = new AbortController();
  const seen: string[] = [];
  const errors: string[] = [];
  const done = Promise.withResolvers<void>();
  const slowStarted = Promise.withResolvers<void>();
  let release = () => {};
  const loop = b.receiveEach(new Uint8Array(64), (bytes, from) => {
    const text = new TextDecoder().decode(bytes);
    if (text === "boom") throw new Error("handler bug");
    if (text === "slow") {
      // The next datagram must not overwrite `bytes` while this handler still reads it.
      return new Promise<void>((resolve) => {
        release = () => {
          seen.push(`${new TextDecoder().decode(bytes)}@${sameUdpAddr(from, a.addr)}`);
          resolve();
        };
        seen.push("waiting");
        slowStarted.resolve();
      });
    }
    seen.push(text);
    if (seen.length === 4) done.resolve();
    return undefined;
  }, {
    signal: abort.signal,
    maxFailures: 3,
    onGiveUp: (err) => errors.push(`gave up: ${err}`),
    onHandlerError: (err, from: UdpAddr) => errors.push(`${err}@${from.port === a.addr.port}`),
  });
  await a.send(new TextEncoder().encode("slow"), b.addr);
  await a.send(new TextEncoder().encode("boom"), b.addr);
  await a.send(new TextEncoder().encode("last"), b.addr);
  // Once the slow handler runs, let it finish: the later datagrams wait in the socket meanwhile.
  await withDeadline(slowStarted.promise, 5_000, () => `the slow handler never ran (saw ${seen})`);
  release();
  await a.send(new TextEncoder().encode("tail"), b.addr);
  await withDeadline(done.promise, 5_000, () => `saw only ${seen}`);
  abort.abort();
  b.close();
  await loop;
  assert.deepEqual(seen, ["waiting", "slow@true", "last", "tail"]);
  assert.deepEqual(errors, ["Error: handler bug@true"]);
});
