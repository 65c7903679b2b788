import assert from "node:assert/strict";
import { permissionFlags } from "../lib/permissions.ts";
import { decodeBeaconMessage, encodeBeaconMessage, formatEndpoint } from "../lib/protocol/beacon_message.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const ENTRY = new URL("../cli/beacon.ts", import.meta.url).pathname;

interface BeaconChild extends AsyncDisposable {
  child: Deno.ChildProcess;
  lines: string[];
  /** Resolves with the first line that matches, or rejects when stderr ends or the deadline passes. */
  waitFor(test: (line: string) => boolean, what: string, ms?: number): Promise<string>;
  /** Exit status, after stderr has been read to its end. */
  exited(): Promise<Deno.CommandStatus>;
}

async function spawnBeacon(args: string[], read: string[] = []): Promise<BeaconChild> {
  const home = await Deno.makeTempDir({ prefix: "beacon-cli-" });
  const flags = permissionFlags("beacon", { home, socket: `${home}/pilot.sock`, read });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, ENTRY, ...args],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let ended = false;
  const endWaiters: (() => void)[] = [];
  const drained = (async () => {
    let carry = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      const parts = (carry + chunk).split("\n");
      carry = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        for (const w of waiters.splice(0)) {
          if (w.test(line)) w.resolve(line);
          else waiters.push(w);
        }
      }
    }
    if (carry !== "") lines.push(carry);
    ended = true;
    for (const end of endWaiters.splice(0)) end();
  })();
  const waitFor = (test: (line: string) => boolean, what: string, ms = 10_000) => {
    const seen = lines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    const { promise, resolve, reject } = Promise.withResolvers<string>();
    const timer = setTimeout(
      () => reject(new Error(`${what} not seen within ${ms} ms:\n${lines.join("\n")}`)),
      ms,
    );
    const fail = () => reject(new Error(`beacon exited before ${what}:\n${lines.join("\n")}`));
    if (ended) fail();
    else endWaiters.push(fail);
    waiters.push({ test, resolve });
    return promise.finally(() => clearTimeout(timer));
  };
  const exited = async () => {
    const status = await child.status;
    await drained;
    return status;
  };
  return {
    child,
    lines,
    waitFor,
    exited,
    [Symbol.asyncDispose]: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // It has already exited.
      }
      await exited();
      await Deno.remove(home, { recursive: true });
    },
  };
}

function jsonRecord(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null
      ? Object.fromEntries(Object.entries(value))
      : undefined;
  } catch {
    return undefined;
  }
}

async function readyAddr(
  beacon: BeaconChild,
  msg = "beacon listening",
): Promise<{ hostname: string; port: number }> {
  const line = await beacon.waitFor((l) => jsonRecord(l)?.msg === msg, `"${msg}"`);
  const addr = jsonRecord(line)?.addr;
  assert.equal(typeof addr, "string");
  const [hostname, port] = String(addr).split(":");
  return { hostname, port: Number(port) };
}

async function discoverFrom(beacon: { hostname: string; port: number }): Promise<string> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const receiving = socket.receive();
  try {
    await socket.send(encodeBeaconMessage({ type: "discover", nodeId: 7 }), { transport: "udp", ...beacon });
    const [bytes] = await withDeadline(receiving, 5_000, "no discover reply from the beacon");
    const msg = decodeBeaconMessage(bytes);
    assert.ok(msg.type === "discover-reply");
    return formatEndpoint(msg.endpoint);
  } finally {
    socket.close();
    await receiving.catch(() => {
      // Cut short by the close when no reply came.
    });
  }
}

Deno.test("beacon cli: logs its bound address, serves discover and health, and stops on SIGTERM", async () => {
  await using beacon = await spawnBeacon([
    "-addr",
    "127.0.0.1:0",
    "--log-format=json",
    "-health=127.0.0.1:0",
  ]);
  const addr = await readyAddr(beacon);
  assert.equal(addr.hostname, "127.0.0.1");
  assert.ok(addr.port > 0);
  assert.match(await discoverFrom(addr), /^127\.0\.0\.1:\d+$/);
  const health = await readyAddr(beacon, "health endpoint listening");
  const response = await fetch(`http://127.0.0.1:${health.port}/healthz`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "ok");
  beacon.child.kill("SIGTERM");
  const status = await beacon.exited();
  assert.equal(status.code, 0, beacon.lines.join("\n"));
  assert.ok(beacon.lines.some((l) => jsonRecord(l)?.msg === "shutting down"));
});

Deno.test("beacon cli: -h prints usage with status 0, an unknown flag prints usage with status 2", async () => {
  await using help = await spawnBeacon(["-h"]);
  assert.equal((await help.exited()).code, 0);
  assert.ok(help.lines.includes("Usage of beacon:"), help.lines.join("\n"));
  assert.ok(help.lines.includes("  -addr string"));
  await using bad = await spawnBeacon(["--no-such-flag", "-addr", "127.0.0.1:0"]);
  assert.equal((await bad.exited()).code, 2);
  assert.equal(bad.lines[0], "flag provided but not defined: -no-such-flag");
  assert.ok(bad.lines.includes("Usage of beacon:"));
});

Deno.test("beacon cli: -config sets flags the command line left alone; a missing file exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const config = `${dir}/beacon.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ addr: "127.0.0.1:0", log_format: "json", "beacon-id": 4 }),
    );
    await using beacon = await spawnBeacon(["-config", config], [config]);
    const line = await beacon.waitFor((l) => jsonRecord(l)?.msg === "beacon listening", '"beacon listening"');
    assert.equal(jsonRecord(line)?.beacon_id, 4);
    beacon.child.kill("SIGINT");
    assert.equal((await beacon.exited()).code, 0);
    await using missing = await spawnBeacon(["-config", `${dir}/none.json`], [dir]);
    assert.equal((await missing.exited()).code, 1);
    assert.match(missing.lines.join("\n"), /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d load config: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("beacon cli: a port already in use is a listen error with status 1", async () => {
  const taken = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const port = taken.addr.transport === "udp" ? taken.addr.port : 0;
    await using beacon = await spawnBeacon(["-addr", `127.0.0.1:${port}`]);
    assert.equal((await beacon.exited()).code, 1);
    assert.match(beacon.lines.join("\n"), /msg="listen: /);
  } finally {
    taken.close();
  }
});
