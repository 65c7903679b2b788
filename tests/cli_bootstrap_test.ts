/**
 * The commands that work on config.json alone (cli.md §6, §9.7–§9.8 without a daemon), run in-process
 * with HOME in a temp dir.
 */

import assert from "node:assert/strict";
import { runInProcess } from "../cli/_testing.ts";

async function withHome(fn: (home: string, vars: Record<string, string>) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  try {
    // A socket nobody listens on, so daemon-backed steps see no daemon.
    await fn(home, { HOME: home, PILOT_SOCKET: `${home}/none.sock` });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("init: overwrites registry/beacon/socket with the defaults, keeps other keys and an old hostname", async () => {
  await withHome(async (home, vars) => {
    await Deno.mkdir(`${home}/.pilot`);
    await Deno.writeTextFile(
      `${home}/.pilot/config.json`,
      '{"hostname":"old","encrypt":true,"registry":"x:1"}',
    );
    const run = await runInProcess(["--json", "init"], vars);
    assert.equal(
      run.stdout,
      `{"data":{"beacon":"127.0.0.1:9001","config_path":"${home}/.pilot/config.json","hostname":"",` +
        `"registry":"34.71.57.205:9000","socket":"/tmp/pilot.sock"},"status":"ok"}\n`,
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${home}/.pilot/config.json`)), {
      beacon: "127.0.0.1:9001",
      encrypt: true,
      hostname: "old",
      registry: "34.71.57.205:9000",
      socket: "/tmp/pilot.sock",
    });
  });
});

Deno.test("config: --set stores strings, splits at the first '=', and refuses a value without one (§6.2)", async () => {
  await withHome(async (home, vars) => {
    assert.equal(
      (await runInProcess(["config", "--set", "num=5"], vars)).stdout,
      '{\n  "key": "num",\n  "value": "5"\n}\n',
    );
    await runInProcess(["config", "--set", "foo=bar=baz"], vars);
    await runInProcess(["config", "--set", "=empty"], vars);
    assert.equal(
      await Deno.readTextFile(`${home}/.pilot/config.json`),
      '{\n  "": "empty",\n  "foo": "bar=baz",\n  "num": "5"\n}\n',
    );
    for (const argv of [["config", "--set", "nokey"], ["config", "--set"]]) {
      const run = await runInProcess(argv, vars);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, "error: usage: pilotctl config --set key=value\n");
    }
  });
});

Deno.test("config: shows the file plus derived paths; registry and socket only when the file has none (§6.2)", async () => {
  await withHome(async (home, vars) => {
    const env = { ...vars, PILOT_REGISTRY: "127.0.0.1:41517", PILOT_SOCKET: "/home/demo/a.sock" };
    assert.equal(
      (await runInProcess(["config"], env)).stdout,
      `{
  "config_path": "${home}/.pilot/config.json",
  "log_file": "${home}/.pilot/pilot.log",
  "pid_file": "${home}/.pilot/pilot.pid",
  "registry": "127.0.0.1:41517",
  "socket": "/home/demo/a.sock"
}
`,
    );
    await runInProcess(["config", "--set", "socket=/from/file.sock"], env);
    await runInProcess(["config", "--set", "registry=file:1"], env);
    const shown = JSON.parse((await runInProcess(["config"], env)).stdout);
    // The file's values are shown even though the environment overrides them for use.
    assert.equal(shown.socket, "/from/file.sock");
    assert.equal(shown.registry, "file:1");
    assert.equal(shown.beacon, undefined);
  });
});

Deno.test("config: with HOME unset the home is /.pilot (§3.1)", async () => {
  const run = await runInProcess(["--json", "config"], { PILOT_SOCKET: "/x.sock" });
  assert.equal(JSON.parse(run.stdout).data.config_path, "/.pilot/config.json");
});

Deno.test("set-webhook / clear-webhook: saved in config.json, applied false without a daemon (§9.7, §9.8)", async () => {
  await withHome(async (home, vars) => {
    const set = await runInProcess(["set-webhook", "http://127.0.0.1:9/hook"], vars);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, "webhook set: http://127.0.0.1:9/hook\nwill take effect on next daemon start\n");
    assert.equal(
      JSON.parse(await Deno.readTextFile(`${home}/.pilot/config.json`)).webhook,
      "http://127.0.0.1:9/hook",
    );
    const json = await runInProcess(["--json", "set-webhook", "https://x"], vars);
    assert.equal(json.stdout, '{"data":{"applied":false,"webhook":"https://x"},"status":"ok"}\n');
    const clear = await runInProcess(["clear-webhook"], vars);
    assert.equal(clear.stdout, "webhook cleared\nwill take effect on next daemon start\n");
    assert.equal(await Deno.readTextFile(`${home}/.pilot/config.json`), "{}\n");
    for (
      const [argv, message] of [
        [["set-webhook"], "usage: pilotctl set-webhook <url>"],
        [["set-webhook", "HTTP://x"], "webhook URL must start with http:// or https://"],
        [["set-webhook", "ftp://x"], "webhook URL must start with http:// or https://"],
      ] as const
    ) {
      const run = await runInProcess([...argv], vars);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `error: ${message}\n`);
    }
  });
});

Deno.test("argument checks that come before the daemon is contacted", async () => {
  await withHome(async (_home, vars) => {
    const cases: [string[], string][] = [
      [["set-tags"], "usage: pilotctl set-tags <tag1> [tag2] ..."],
      [["set-tags", "a", "b", "c", "d"], "set-tags: maximum 3 tags allowed, got 4"],
      [["untrust"], "usage: pilotctl untrust <node_id>"],
      [["untrust", "x"], 'invalid node_id: strconv.ParseUint: parsing "x": invalid syntax'],
      [["disconnect"], "usage: pilotctl disconnect <conn_id>"],
      [["disconnect", "abc"], 'invalid connection ID: strconv.ParseUint: parsing "abc": invalid syntax'],
      [["lookup"], "usage: pilotctl lookup <node_id>"],
      [["lookup", "-1"], 'invalid node_id "-1": strconv.ParseUint: parsing "-1": invalid syntax'],
      [["rotate-key", "1"], "usage: pilotctl rotate-key <node_id> <owner>"],
      [["find"], "usage: pilotctl find <hostname>"],
      [["set-hostname"], "usage: pilotctl set-hostname <hostname>"],
      [["handshake"], "usage: pilotctl handshake <node_id|address|hostname> [justification]"],
      [["approve"], "usage: pilotctl approve <node_id>"],
      [["reject"], "usage: pilotctl reject <node_id> [reason]"],
    ];
    for (const [argv, message] of cases) {
      const run = await runInProcess(["--json", ...argv], vars);
      assert.equal(run.code, 1, argv.join(" "));
      assert.deepEqual(
        JSON.parse(run.stderr),
        { code: "invalid_argument", message, status: "error" },
        argv.join(" "),
      );
    }
    // `approve` parses its node ID only after it reached the daemon (§12.2).
    const approve = await runInProcess(["--json", "approve", "x"], vars);
    assert.equal(JSON.parse(approve.stderr).code, "not_running");
  });
});

Deno.test("daemon status: stopped text and JSON without a daemon; a stale PID file is removed (§7.3)", async () => {
  await withHome(async (home, vars) => {
    const text = await runInProcess(["daemon", "status"], vars);
    assert.equal(text.code, 0);
    assert.equal(text.stdout, "Daemon: stopped\n  start with: pilotctl daemon start\n");
    await Deno.mkdir(`${home}/.pilot`, { recursive: true });
    await Deno.writeTextFile(`${home}/.pilot/pilot.pid`, "999999\n");
    const json = await runInProcess(["--json", "daemon", "status"], vars);
    const data = JSON.parse(json.stdout).data;
    assert.deepEqual(data, {
      pid: 999999,
      pid_file: `${home}/.pilot/pilot.pid`,
      responsive: false,
      running: false,
      socket: `${home}/none.sock`,
    });
    // The test runner may forbid asking about other processes; only a known-dead PID is cleaned up.
    const gone = await Deno.stat(`${home}/.pilot/pilot.pid`).then(() => false, () => true);
    const canAsk = await import("../cli/commands/daemon.ts").then(async (m) =>
      await m.processExists(999999) !== undefined
    );
    assert.equal(gone, canAsk);
  });
});
