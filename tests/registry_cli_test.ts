// The standalone registry program as a child process under its own permission set: flags, the ready
// line with the bound address, the dashboard, SIGTERM, and state kept across a restart on the same store.

import assert from "node:assert/strict";
import { permissionFlags } from "../lib/permissions.ts";
import { RawClient, registerIdentity, testIdentity } from "../lib/registry/_testing.ts";

const ENTRY = new URL("../cli/registry.ts", import.meta.url).pathname;

interface Child extends AsyncDisposable {
  address: string;
  dashboard: string;
  stop(): Promise<Deno.CommandStatus>;
}

function args(dir: string, extra: string[]): string[] {
  const kv = `${dir}/registry.kv`;
  const files = [kv, `${kv}-wal`, `${kv}-shm`, `${kv}-journal`];
  const flags = permissionFlags("registry", {
    home: dir,
    socket: `${dir}/unused.sock`,
    read: files,
    write: files,
  });
  return ["run", ...flags, ENTRY, ...extra];
}

async function startChild(dir: string): Promise<Child> {
  const child = new Deno.Command(Deno.execPath(), {
    args: args(dir, [
      "-addr",
      "127.0.0.1:0",
      "--store",
      `${dir}/registry.kv`,
      "-log-format=json",
      "-http",
      "127.0.0.1:0",
    ]),
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const ready = Promise.withResolvers<{ address: string; dashboard: string }>();
  let dashboard = "";
  const drained = (async () => {
    const stream = child.stderr.pipeThrough(new TextDecoderStream());
    let carry = "";
    for await (const chunk of stream) {
      const parts = (carry + chunk).split("\n");
      carry = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        const record: unknown = JSON.parse(line);
        if (typeof record !== "object" || record === null || !("msg" in record) || !("addr" in record)) {
          continue;
        }
        if (record.msg === "dashboard listening") dashboard = String(record.addr);
        if (record.msg === "registry listening") ready.resolve({ address: String(record.addr), dashboard });
      }
    }
    ready.reject(new Error(`registry exited before it was ready:\n${lines.join("\n")}`));
  })();
  const timer = setTimeout(() => ready.reject(new Error(`registry not ready:\n${lines.join("\n")}`)), 15_000);
  let status: Promise<Deno.CommandStatus> | undefined;
  const stop = () => {
    status ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // already exited
      }
      const s = await child.status;
      await drained;
      return s;
    })();
    return status;
  };
  try {
    const found = await ready.promise;
    return { ...found, stop, [Symbol.asyncDispose]: async () => void (await stop()) };
  } catch (err) {
    await stop();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("registry cli: -h prints usage and exits 0; an unknown flag prints usage and exits 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  try {
    const run = (extra: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: args(dir, extra),
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    const help = await run(["-h"]);
    assert.equal(help.code, 0);
    assert.match(new TextDecoder().decode(help.stderr), /Usage of registry:[\s\S]*-addr string/);
    const bad = await run(["--no-such-flag"]);
    assert.equal(bad.code, 2);
    assert.match(
      new TextDecoder().decode(bad.stderr),
      /^flag provided but not defined: -no-such-flag\nUsage of registry:/,
    );
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const inUse = await run(["-addr", `127.0.0.1:${busy.addr.port}`, "-store", ":memory:"]);
      assert.equal(inUse.code, 1);
      assert.match(new TextDecoder().decode(inUse.stderr), /listen: /);
    } finally {
      busy.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("registry cli: serves, shows the dashboard, stops on SIGTERM and keeps its store across restarts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pilot-registry-" });
  try {
    const me = testIdentity(81);
    let id: number;
    {
      await using registry = await startChild(dir);
      const port = Number(registry.address.split(":").pop());
      using c = await RawClient.connect(port);
      id = await registerIdentity(c, me);
      const stats: unknown = await (await fetch(`http://${registry.dashboard}/api/stats`)).json();
      assert.ok(
        typeof stats === "object" && stats !== null && "total_nodes" in stats && stats.total_nodes === 1,
      );
      const status = await registry.stop();
      assert.equal(status.code, 0, "a clean shutdown on SIGTERM");
    }
    await using again = await startChild(dir);
    using c = await RawClient.connect(Number(again.address.split(":").pop()));
    const look = await c.request({ type: "lookup", node_id: id });
    assert.equal(look.public_key, me.publicKey);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
