/**
 * `register`, `lookup` and `rotate-key` dial the registry directly (cli.md §8): here against our own
 * registry, started in-process on 127.0.0.1 port 0 with an in-memory store.
 */

import assert from "node:assert/strict";
import { runInProcess } from "../cli/_testing.ts";
import { register, RegistryClient, startRegistry } from "../lib/registry/mod.ts";

Deno.test("registry commands: lookup, register and rotate-key against a live registry", async (t) => {
  await using registry = await startRegistry({ addr: "127.0.0.1:0", store: ":memory:" });
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  const vars = { HOME: home, PILOT_REGISTRY: registry.address };
  const publicKey = new Uint8Array(32).fill(7).toBase64();
  let nodeId = 0;
  {
    await using client = await RegistryClient.connect({ address: registry.address });
    nodeId = (await register(client, { publicKey, listenAddr: "127.0.0.1:4000" })).nodeId;
  }
  try {
    await t.step("lookup prints the registry's reply unchanged, as indented JSON", async () => {
      const run = await runInProcess(["lookup", String(nodeId)], vars);
      assert.equal(run.code, 0, run.stderr);
      const reply = JSON.parse(run.stdout);
      assert.equal(reply.type, "lookup_ok");
      assert.equal(reply.node_id, nodeId);
      assert.equal(reply.public_key, publicKey);
      assert.equal(reply.public, false);
      assert.deepEqual(reply.networks, [0]);
      assert.equal(reply.address, `0:0000.0000.${nodeId.toString(16).toUpperCase().padStart(4, "0")}`);
      // Indented with sorted keys, one trailing newline (§4.3).
      const keys = Object.keys(reply);
      assert.deepEqual(keys, [...keys].sort());
      assert.ok(run.stdout.startsWith('{\n  "address": ') && run.stdout.endsWith("\n}\n"));
    });
    await t.step("lookup --json wraps the same object in the envelope", async () => {
      const text = JSON.parse((await runInProcess(["lookup", String(nodeId)], vars)).stdout);
      const run = await runInProcess(["--json", "lookup", String(nodeId)], vars);
      assert.deepEqual(JSON.parse(run.stdout), { data: text, status: "ok" });
    });
    await t.step("lookup of an unknown node is connection_failed 'lookup: registry: …'", async () => {
      const run = await runInProcess(["--json", "lookup", "4000000"], vars);
      assert.equal(run.code, 1);
      const envelope = JSON.parse(run.stderr);
      assert.equal(envelope.code, "connection_failed");
      assert.equal(envelope.message, "lookup: registry: request failed");
    });
    await t.step(
      "register without a key and rotate-key without a signature are refused, as in the reference",
      async () => {
        const reg = JSON.parse((await runInProcess(["--json", "register", "127.0.0.1:5"], vars)).stderr);
        assert.equal(reg.code, "connection_failed");
        assert.equal(reg.message, "register: registry: request failed");
        const rot = JSON.parse(
          (await runInProcess(["--json", "rotate-key", String(nodeId), "me"], vars)).stderr,
        );
        assert.equal(rot.code, "connection_failed");
        assert.equal(rot.message, "rotate-key: registry: request failed");
      },
    );
    await t.step("without PILOT_REGISTRY the config file's registry is used (§3.5)", async () => {
      await runInProcess(["config", "--set", `registry=${registry.address}`], { HOME: home });
      const run = await runInProcess(["--json", "lookup", String(nodeId)], { HOME: home });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(JSON.parse(run.stdout).data.node_id, nodeId);
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("registry commands: an unreachable registry is connection_failed with the §3.5 hint", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${listener.addr.port}`;
  listener.close();
  for (const argv of [["lookup", "1"], ["register"], ["rotate-key", "1", "x"]]) {
    const run = await runInProcess(["--json", ...argv], { PILOT_REGISTRY: address });
    assert.equal(run.code, 1);
    assert.deepEqual(JSON.parse(run.stderr), {
      code: "connection_failed",
      hint: `check that the registry is running at ${address}, or set PILOT_REGISTRY`,
      message: `cannot reach registry at ${address}`,
      status: "error",
    });
  }
  const bad = await runInProcess(["--json", "lookup", "1"], { PILOT_REGISTRY: "not-an-address" });
  assert.equal(JSON.parse(bad.stderr).message, "cannot reach registry at not-an-address");
});
