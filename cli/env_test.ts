import assert from "node:assert/strict";
import { PilotError } from "../lib/errors.ts";
import {
  type CliEnvironment,
  DEFAULT_REGISTRY,
  DEFAULT_SOCKET,
  loadConfig,
  pilotPaths,
  resolveRegistry,
  resolveSocket,
  saveConfig,
} from "./env.ts";

function envOf(vars: Record<string, string>): CliEnvironment {
  return { get: (name) => Object.hasOwn(vars, name) ? vars[name] : undefined };
}

Deno.test("env: the pilot home is $PILOT_HOME, else $HOME/.pilot, and /.pilot without HOME (§3.1)", () => {
  assert.deepEqual(pilotPaths(envOf({ HOME: "/home/demo" })), {
    home: "/home/demo/.pilot",
    config: "/home/demo/.pilot/config.json",
    pidFile: "/home/demo/.pilot/pilot.pid",
    logFile: "/home/demo/.pilot/pilot.log",
    identity: "/home/demo/.pilot/identity.key",
  });
  assert.equal(pilotPaths(envOf({})).config, "/.pilot/config.json");
  // PILOT_HOME moves the CLI, the daemon and their permission scopes together.
  assert.equal(pilotPaths(envOf({ HOME: "/h", PILOT_HOME: "/elsewhere" })).home, "/elsewhere");
});

Deno.test("env: the socket is PILOT_SOCKET, then config socket, then /tmp/pilot.sock (§3.4)", () => {
  assert.equal(resolveSocket(envOf({ PILOT_SOCKET: "/e.sock" }), { socket: "/c.sock" }), "/e.sock");
  assert.equal(resolveSocket(envOf({ PILOT_SOCKET: "" }), { socket: "/c.sock" }), "/c.sock");
  assert.equal(resolveSocket(envOf({}), { socket: "" }), DEFAULT_SOCKET);
  assert.equal(resolveSocket(envOf({}), { socket: 5 }), DEFAULT_SOCKET);
  assert.equal(DEFAULT_SOCKET, "/tmp/pilot.sock");
});

Deno.test("env: the direct registry is PILOT_REGISTRY, then config registry, then the default (§3.5)", () => {
  assert.equal(
    resolveRegistry(envOf({ PILOT_REGISTRY: "1.2.3.4:9" }), { registry: "5.6.7.8:9" }),
    "1.2.3.4:9",
  );
  assert.equal(resolveRegistry(envOf({}), { registry: "5.6.7.8:9" }), "5.6.7.8:9");
  assert.equal(resolveRegistry(envOf({}), { registry: ["x"] }), DEFAULT_REGISTRY);
  assert.equal(DEFAULT_REGISTRY, "34.71.57.205:9000");
});

Deno.test("env: a missing, invalid, non-object or oversized config reads as {} (§3.3)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(await loadConfig(`${dir}/missing.json`), {});
    const cases = ["{not json", "[1,2]", "null", '"text"', "42", ""];
    for (const [i, text] of cases.entries()) {
      await Deno.writeTextFile(`${dir}/c${i}.json`, text);
      assert.deepEqual(await loadConfig(`${dir}/c${i}.json`), {}, text);
    }
    await Deno.writeTextFile(`${dir}/big.json`, `{"a":"${"x".repeat(2 << 20)}"}`);
    assert.deepEqual(await loadConfig(`${dir}/big.json`), {});
    await Deno.mkdir(`${dir}/adir.json`);
    assert.deepEqual(await loadConfig(`${dir}/adir.json`), {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("env: saving writes sorted 2-space JSON with a newline, keeps unknown keys, mode 0644 (§3.3)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/.pilot/config.json`;
    await Deno.mkdir(`${dir}/.pilot`);
    await Deno.writeTextFile(
      path,
      '{"encrypt": true, "identity": "~/.pilot/identity.json", "nested": {"b": 1, "a": [1]}}',
    );
    const config = await loadConfig(path);
    config.num = "5";
    config.foo = "<bar>";
    await saveConfig(path, config);
    assert.equal(
      await Deno.readTextFile(path),
      `{
  "encrypt": true,
  "foo": "\\u003cbar\\u003e",
  "identity": "~/.pilot/identity.json",
  "nested": {
    "a": [
      1
    ],
    "b": 1
  },
  "num": "5"
}
`,
    );
    assert.equal(((await Deno.stat(path)).mode ?? 0) & 0o777, 0o644);
    // No temp files are left beside it.
    const names = [];
    for await (const entry of Deno.readDir(`${dir}/.pilot`)) names.push(entry.name);
    assert.deepEqual(names, ["config.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("env: saving creates the home with mode 0700", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveConfig(`${dir}/.pilot/config.json`, {});
    assert.equal(await Deno.readTextFile(`${dir}/.pilot/config.json`), "{}\n");
    assert.equal(((await Deno.stat(`${dir}/.pilot`)).mode ?? 0) & 0o777, 0o700);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("env: a config that cannot be written is internal 'save config: …'", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "");
    await assert.rejects(
      saveConfig(`${dir}/file/.pilot/config.json`, { a: "b" }),
      (e) => e instanceof PilotError && e.code === "internal" && e.message.startsWith("save config: "),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
