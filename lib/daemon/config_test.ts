import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { parseDaemonArgs } from "./config.ts";

const noEnv = (name: string) => (name === "HOME" ? "/home/agent" : undefined);

async function configOf(argv: string[]) {
  const parsed = await parseDaemonArgs(argv, noEnv);
  if (parsed.kind !== "config") throw new Error("expected a config");
  return parsed.config;
}

Deno.test("daemon config: no registry means the embedded registry and beacon", async () => {
  const config = await configOf([]);
  assert.equal(config.registry, undefined);
  assert.equal(config.beacon, "embedded");
  assert.deepEqual(config.identity, { kind: "home" });
  assert.equal(config.home, "/home/agent/.pilot");
  assert.equal(config.keepaliveMs, 30_000);
  assert.equal(config.encrypt, true);
});

Deno.test("daemon config: an external registry has no beacon unless one is named", async () => {
  const config = await configOf(["-registry", "127.0.0.1:9000"]);
  assert.equal(config.beacon, undefined);
  const withBeacon = await configOf(["--registry=127.0.0.1:9000", "--beacon", "127.0.0.1:9001"]);
  assert.equal(withBeacon.beacon, "127.0.0.1:9001");
});

Deno.test("daemon config: Go-style flags, service switches and zero tuning values", async () => {
  const config = await configOf([
    "-encrypt=false",
    "-no-echo",
    "--no-tasksubmit",
    "-keepalive",
    "1m30s",
    "-time-wait",
    "0",
    "-identity=",
  ]);
  assert.equal(config.encrypt, false);
  assert.deepEqual(config.services, {
    echo: false,
    dataExchange: true,
    eventStream: true,
    taskSubmit: false,
  });
  assert.equal(config.keepaliveMs, 90_000);
  assert.equal(config.timeWaitMs, 10_000, "zero means the default");
  assert.deepEqual(config.identity, { kind: "ephemeral" }, "an explicit empty identity is ephemeral");
});

Deno.test("daemon config: -h asks for usage and unknown flags are refused", async () => {
  const help = await parseDaemonArgs(["-h"], noEnv);
  assert.equal(help.kind, "help");
  if (help.kind === "help") assert.match(help.usage, /-no-tasksubmit/);
  await assert.rejects(parseDaemonArgs(["-bogus"], noEnv), (err) => isPilotError(err, "invalid_argument"));
});

Deno.test("daemon config: the config file fills flags the command line left alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/daemon.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({ hostname: "alpha", log_level: "debug", socket: "/tmp/x.sock" }),
    );
    const config = await configOf(["-config", file, "-socket", "/tmp/cli.sock"]);
    assert.equal(config.hostname, "alpha");
    assert.equal(config.logLevel, "debug");
    assert.equal(config.socket, "/tmp/cli.sock", "the command line wins");
    await Deno.writeTextFile(file, "[1,2]");
    await assert.rejects(configOf(["-config", file]), (err) => isPilotError(err, "config_invalid"));
    await assert.rejects(configOf(["-config", `${dir}/missing.json`]), /load config/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
