/**
 * End to end: `pilotctl gateway start/stop/map/unmap/list` (cli.md §16) as child processes under
 * pilotctl's permission flags, against real daemons. The gateway bridges plain TCP on 127.77.0.0/16
 * (loopback on Linux without any alias, so no root and no `ip` run) to overlay ports where the test
 * serves an echo through each daemon's IPC. `map`, `unmap` and `list` act on the running gateway
 * (issue #5), unlike the reference.
 */

import assert from "node:assert/strict";
import { type ChildOptions, runChild, spawnChild } from "../cli/_testing.ts";
import { IpcClient } from "../lib/ipc/mod.ts";
import { startDaemon, type TestDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LOG_LINE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /;

function on(daemon: TestDaemon, home = daemon.home): ChildOptions {
  return { home, socket: daemon.socket };
}

/** An echo on overlay `port` of `daemon`, served through its IPC. */
async function ipcEcho(daemon: TestDaemon, port: number): Promise<AsyncDisposable> {
  const ipc = await IpcClient.connect(daemon.socket);
  await ipc.bind(port);
  const echoes: Promise<void>[] = [];
  const serving = (async () => {
    for (;;) {
      let connId: number;
      try {
        connId = (await ipc.accept(port)).connId;
      } catch {
        return; // the client closed
      }
      echoes.push((async () => {
        try {
          for (let chunk = await ipc.recv(connId); chunk !== null; chunk = await ipc.recv(connId)) {
            await ipc.send(connId, chunk);
          }
          await ipc.closeConnection(connId);
        } catch {
          // The gateway closed the stream, or the test closed the client: the echo ends either way.
        }
      })());
    }
  })();
  return {
    [Symbol.asyncDispose]: async () => {
      await ipc.close();
      await serving;
      await Promise.allSettled(echoes);
    },
  };
}

/**
 * A port free now on the IPs the gateway will bind. Below 32768, so it is neither a kernel ephemeral
 * port nor one of the overlay's source ports (49152–65535, services.md §10.3), which the test's echo
 * binds as an overlay port of the same number.
 */
function freePort(): number {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    const probes: Deno.TcpListener[] = [];
    try {
      for (const hostname of ["127.77.0.1", "127.77.0.9", "127.79.0.1"]) {
        probes.push(Deno.listen({ hostname, port }));
      }
      return port;
    } catch {
      // Taken on one of them: try another.
    } finally {
      for (const probe of probes) probe.close();
    }
  }
  throw new Error("no free port found in 50 attempts");
}

/** A running `gateway start` child whose output is collected as it comes. */
interface GatewayChild extends AsyncDisposable {
  child: Deno.ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string): Promise<void>;
  /** Resolves with the exit status. */
  exited: Promise<Deno.CommandStatus>;
}

function startGateway(argv: string[], options: ChildOptions): GatewayChild {
  const child = spawnChild(["gateway", "start", ...argv], options);
  let out = "";
  let err = "";
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  const drain = async (stream: ReadableStream<Uint8Array>, append: (s: string) => void) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) append(chunk);
  };
  const drained = Promise.all([
    drain(child.stdout, (s) => {
      out += s;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (out.includes(waiters[i].text)) waiters.splice(i, 1)[0].resolve();
      }
    }),
    drain(child.stderr, (s) => err += s),
  ]);
  const exited = drained.then(() => child.status);
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout: (text) => {
      if (out.includes(text)) return Promise.resolve();
      const found = Promise.withResolvers<void>();
      waiters.push({ text, resolve: found.resolve });
      const ended = exited.then(() => {
        throw new Error(`gateway exited without printing ${JSON.stringify(text)}:\n${out}\n${err}`);
      });
      return withDeadline(Promise.race([found.promise, ended]), 15_000, `gateway did not print ${text}`);
    },
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // It exited already.
      }
      await exited;
    },
  };
}

async function readExactly(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let filled = 0; filled < n;) {
    const got = await conn.read(out.subarray(filled));
    if (got === null) throw new Error(`end of stream after ${filled} of ${n} bytes`);
    filled += got;
  }
  return out;
}

/** Sends `data` to `ip:port` and returns what comes back (as much as was sent). */
async function roundTrip(ip: string, port: number, data: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: ip, port });
  try {
    const writing = (async () => {
      for (let off = 0; off < data.byteLength;) off += await conn.write(data.subarray(off, off + 32 * 1024));
    })();
    const [back] = await Promise.all([readExactly(conn, data.byteLength), writing]);
    return back;
  } finally {
    conn.close();
  }
}

function envelope(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), text);
  return Object.fromEntries(Object.entries(value));
}

Deno.test("gateway: TCP on a mapped IP reaches the peer, and map/unmap/list/stop act on the running gateway", async (t) => {
  await using alpha = await startDaemon({ flags: ["-public"] });
  await using beta = await startDaemon({
    registry: String(alpha.ready.registry),
    beacon: String(alpha.ready.beacon),
    flags: ["-public"],
  });
  const port = freePort();
  await using _betaEcho = await ipcEcho(beta, port);
  await using _alphaEcho = await ipcEcho(alpha, port);
  const a = on(alpha);
  await using gw = startGateway(["--subnet", "127.77.0.0/16", "--ports", ` ${port} `, beta.address], a);
  await gw.waitForStdout("gateway running\n");
  const pid = gw.child.pid;

  await t.step("start prints its mappings, logs the connection and writes its files", async () => {
    assert.equal(gw.stdout(), `mapped 127.77.0.1 → ${beta.address}\ngateway running\n`);
    assert.match(
      gw.stderr(),
      new RegExp(`${LOG_LINE.source}INFO gateway connected subnet=127\\.77\\.0\\.0/16\\n`),
    );
    assert.equal(await Deno.readTextFile(`${alpha.pilotHome}/gateway.pid`), String(pid));
    for (const file of ["gateway.pid", "gateway.sock"]) {
      assert.equal(((await Deno.stat(`${alpha.pilotHome}/${file}`)).mode ?? 0) & 0o777, 0o600, file);
    }
  });

  await t.step("a plain TCP client gets its bytes echoed by the peer, large writes included", async () => {
    assert.equal(
      decoder.decode(await roundTrip("127.77.0.1", port, encoder.encode("hello gateway"))),
      "hello gateway",
    );
    const big = new Uint8Array(512 * 1024).map((_, i) => (i * 7) & 0xFF);
    assert.deepEqual(await roundTrip("127.77.0.1", port, big), big);
  });

  await t.step("list shows the running gateway's table", async () => {
    const text = await runChild(["gateway", "list"], a);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, `127.77.0.1 → ${beta.address}\ntotal: 1\n`);
    const json = await runChild(["--json", "gateway", "list"], a);
    assert.equal(
      json.stdout,
      `{"data":{"mappings":[{"local_ip":"127.77.0.1","pilot_addr":"${beta.address}"}],"total":1},"status":"ok"}\n`,
    );
  });

  await t.step("map adds a live mapping; mapping it again returns its IP", async () => {
    const mapped = await runChild(["gateway", "map", alpha.address, "127.77.0.9"], a);
    assert.equal(mapped.code, 0, mapped.stderr);
    assert.equal(mapped.stdout, `{\n  "local_ip": "127.77.0.9",\n  "pilot_addr": "${alpha.address}"\n}\n`);
    assert.equal(
      decoder.decode(await roundTrip("127.77.0.9", port, encoder.encode("to myself"))),
      "to myself",
    );
    const again = await runChild(["--json", "gateway", "map", beta.address], a);
    assert.equal(
      again.stdout,
      `{"data":{"local_ip":"127.77.0.1","pilot_addr":"${beta.address}"},"status":"ok"}\n`,
    );
    const list = await runChild(["gateway", "list"], a);
    assert.equal(list.stdout, `127.77.0.1 → ${beta.address}\n127.77.0.9 → ${alpha.address}\ntotal: 2\n`);
  });

  await t.step("map errors: usage, address, subnet, taken IP", async () => {
    const cases: Array<[string[], string, string]> = [
      [[], "invalid_argument", "usage: pilotctl gateway map <pilot-addr> [local-ip]"],
      [["bogus"], "invalid_argument", 'parse address: invalid address: "bogus" (expected N:XXXX.YYYY.YYYY)'],
      [["0:0000.0000.0777", "192.168.1.1"], "internal", "map: IP 192.168.1.1 not in subnet 127.77.0.0/16"],
      [["0:0000.0000.0777", "127.77.0.9"], "internal", "map: IP 127.77.0.9 already mapped"],
      [["0:0000.0000.0777", "x.y"], "internal", "map: invalid IP: x.y"],
    ];
    for (const [args, code, message] of cases) {
      const run = await runChild(["--json", "gateway", "map", ...args], a);
      assert.equal(run.code, 1, args.join(" "));
      assert.deepEqual(envelope(run.stderr), { code, message, status: "error" }, args.join(" "));
    }
  });

  await t.step("unmap removes a mapping from the running gateway; unknown IPs are not_found", async () => {
    const unmapped = await runChild(["gateway", "unmap", "127.77.0.9"], a);
    assert.equal(unmapped.code, 0, unmapped.stderr);
    assert.equal(unmapped.stdout, '{\n  "unmapped": "127.77.0.9"\n}\n');
    await assert.rejects(Deno.connect({ hostname: "127.77.0.9", port }), Deno.errors.ConnectionRefused);
    for (const ip of ["127.77.0.9", "nonsense"]) {
      const again = await runChild(["--json", "gateway", "unmap", ip], a);
      assert.equal(again.code, 1);
      assert.equal(envelope(again.stderr).code, "not_found", ip);
    }
    assert.equal(
      (await runChild(["gateway", "unmap", "127.77.0.9"], a)).stderr,
      "error: no mapping for 127.77.0.9\n",
    );
    const usage = await runChild(["gateway", "unmap"], a);
    assert.equal(usage.stderr, "error: usage: pilotctl gateway unmap <local-ip>\n");
    const list = await runChild(["gateway", "list"], a);
    assert.equal(list.stdout, `127.77.0.1 → ${beta.address}\ntotal: 1\n`);
  });

  await t.step("a second start is refused while the first runs", async () => {
    const again = await runChild(["--json", "gateway", "start", "--subnet", "127.78.0.0/16"], a);
    assert.equal(again.code, 1);
    assert.deepEqual(envelope(again.stderr), {
      code: "already_exists",
      hint: "stop it first with: pilotctl gateway stop",
      message: `gateway is already running (pid ${pid})`,
      status: "error",
    });
  });

  await t.step("stop ends the gateway; its files go; then everything reports not_running", async () => {
    const stop = await runChild(["gateway", "stop"], a);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `{\n  "pid": ${pid}\n}\n`);
    const status = await withDeadline(gw.exited, 10_000, "gateway did not exit after stop");
    assert.equal(status.code, 0, gw.stderr());
    await assert.rejects(Deno.stat(`${alpha.pilotHome}/gateway.pid`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`${alpha.pilotHome}/gateway.sock`), Deno.errors.NotFound);
    await assert.rejects(Deno.connect({ hostname: "127.77.0.1", port }), Deno.errors.ConnectionRefused);
    const checks: Array<[string[], string | undefined]> = [
      [["stop"], undefined],
      [["list"], "start with: pilotctl gateway start [--ports <list>] [<pilot-addr>...]"],
      [["unmap", "127.77.0.1"], "start with: pilotctl gateway start"],
      [["map", beta.address], "start with: pilotctl gateway start"],
    ];
    for (const [args, hint] of checks) {
      const run = await runChild(["--json", "gateway", ...args], a);
      assert.equal(run.code, 1, args.join(" "));
      const expected: Record<string, unknown> = {
        code: "not_running",
        message: "gateway is not running",
        status: "error",
      };
      if (hint !== undefined) expected.hint = hint;
      assert.deepEqual(envelope(run.stderr), expected, args.join(" "));
    }
  });
});

Deno.test("gateway: start failures leave no files; --json start without addresses prints null mappings; SIGTERM stops it", async (t) => {
  await using alpha = await startDaemon({ flags: ["-public"] });
  const home = await Deno.makeTempDir({ prefix: "pd-gw-" });
  const opts = on(alpha, home);
  try {
    await t.step("argument and start-up errors of §16.1", async () => {
      const cases: Array<[string[], ChildOptions, string, string]> = [
        [
          ["--ports", "80,x"],
          opts,
          "invalid_argument",
          'invalid port "x": strconv.ParseUint: parsing "x": invalid syntax',
        ],
        [
          ["--ports", "70000"],
          opts,
          "invalid_argument",
          'invalid port "70000": strconv.ParseUint: parsing "70000": value out of range',
        ],
        [
          ["--subnet", "bogus"],
          opts,
          "internal",
          "create gateway: parse subnet: invalid CIDR address: bogus",
        ],
        [
          ["--subnet", "127.79.0.0/16", "nope"],
          opts,
          "invalid_argument",
          'parse address nope: invalid address: "nope" (expected N:XXXX.YYYY.YYYY)',
        ],
        [
          ["--subnet", "127.79.0.0/31", "0:0000.0000.0001", "0:0000.0000.0002"],
          opts,
          "internal",
          "map 0:0000.0000.0002: subnet exhausted",
        ],
      ];
      for (const [args, options, code, message] of cases) {
        const run = await runChild(["--json", "gateway", "start", ...args], options);
        assert.equal(run.code, 1, args.join(" "));
        assert.equal(run.stdout, "");
        assert.deepEqual(envelope(run.stderr), { code, message, status: "error" }, args.join(" "));
      }
      const noDaemon = await runChild(["--json", "gateway", "start"], { home, socket: `${home}/none.sock` });
      assert.equal(noDaemon.code, 1);
      const failure = envelope(noDaemon.stderr);
      assert.equal(failure.code, "internal");
      assert.match(String(failure.message), /^start gateway: connect to daemon: /);
      await assert.rejects(Deno.stat(`${home}/.pilot/gateway.pid`), Deno.errors.NotFound);
      await assert.rejects(Deno.stat(`${home}/.pilot/gateway.sock`), Deno.errors.NotFound);
    });

    await t.step("JSON start with no addresses, then SIGTERM: exit 0, files removed", async () => {
      await using gw = startGateway(
        ["--json", "--subnet", "127.79.0.0/16", "--ports", String(freePort())],
        opts,
      );
      await gw.waitForStdout("\n");
      assert.equal(
        gw.stdout(),
        `{"data":{"mappings":null,"pid":${gw.child.pid},"subnet":"127.79.0.0/16"},"status":"ok"}\n`,
      );
      assert.equal(gw.stderr(), "", "no log lines in JSON mode");
      const list = await runChild(["--json", "gateway", "list"], opts);
      assert.equal(list.stdout, '{"data":{"mappings":[],"total":0},"status":"ok"}\n');
      assert.equal((await runChild(["gateway", "list"], opts)).stdout, "no mappings\n");
      gw.child.kill("SIGTERM");
      const status = await withDeadline(gw.exited, 10_000, "gateway did not exit on SIGTERM");
      assert.equal(status.code, 0);
      await assert.rejects(Deno.stat(`${home}/.pilot/gateway.pid`), Deno.errors.NotFound);
      await assert.rejects(Deno.stat(`${home}/.pilot/gateway.sock`), Deno.errors.NotFound);
    });
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {/* removed with the run's folder */});
  }
});
