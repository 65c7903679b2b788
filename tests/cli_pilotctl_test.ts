/**
 * pilotctl as a user runs it: a child process under its own permission flags with `HOME` in a temp
 * dir (usage, unknown commands, exit codes, init/config/context, `daemon status --check`), plus the
 * dispatch rules of cli.md §2 in-process.
 */

import assert from "node:assert/strict";
import { runChild, runInProcess } from "../cli/_testing.ts";
import { findCommand } from "../cli/command_table.ts";
import { USAGE_TEXT } from "../cli/usage.ts";

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("pilotctl: as a child process, usage, unknown commands and exit codes follow §2 and §4.9", async (t) => {
  await withHome(async (home) => {
    await t.step("no arguments: usage on stderr, exit 2, also with --json", async () => {
      for (const argv of [[], ["--json"]]) {
        const run = await runChild(argv, { home });
        assert.equal(run.code, 2);
        assert.equal(run.stdout, "");
        assert.equal(run.stderr, USAGE_TEXT);
      }
    });
    await t.step(
      "unknown command: text mode prints the line, a blank line and the usage; exit 2",
      async () => {
        const run = await runChild(["version"], { home });
        assert.equal(run.code, 2);
        assert.equal(run.stderr, `unknown command: version\n\n${USAGE_TEXT}`);
      },
    );
    await t.step("unknown command in JSON mode: invalid_argument envelope on stderr, exit 1", async () => {
      const run = await runChild(["--help", "--json"], { home });
      assert.equal(run.code, 1);
      assert.equal(run.stdout, "");
      assert.equal(
        run.stderr,
        '{"code":"invalid_argument","hint":"run \'pilotctl context\' for the full command list",' +
          '"message":"unknown command: --help","status":"error"}\n',
      );
    });
    await t.step("init writes config.json and prints the §6.1 object", async () => {
      const run = await runChild(["init", "--registry", "127.0.0.1:41517", "--hostname", "gamma"], { home });
      assert.equal(run.code, 0, run.stderr);
      const configPath = `${home}/.pilot/config.json`;
      assert.equal(
        run.stdout,
        `{\n  "beacon": "127.0.0.1:9001",\n  "config_path": "${configPath}",\n  "hostname": "gamma",\n` +
          `  "registry": "127.0.0.1:41517",\n  "socket": "/tmp/pilot.sock"\n}\n`,
      );
      assert.equal(
        await Deno.readTextFile(configPath),
        '{\n  "beacon": "127.0.0.1:9001",\n  "hostname": "gamma",\n  "registry": "127.0.0.1:41517",\n' +
          '  "socket": "/tmp/pilot.sock"\n}\n',
      );
    });
    await t.step("daemon status --check with no daemon: nothing printed, exit 1", async () => {
      for (const argv of [["daemon", "status", "--check"], ["--json", "daemon", "status", "--check"]]) {
        const run = await runChild(argv, { home, socket: `${home}/missing.sock` });
        assert.equal(run.code, 1);
        assert.equal(run.stdout + run.stderr, "");
      }
    });
    await t.step("a daemon-backed command without a daemon is not_running, exit 1", async () => {
      const run = await runChild(["info"], { home, socket: `${home}/missing.sock` });
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        "error: daemon is not running\nhint:  start the daemon with: pilotctl daemon start\n",
      );
    });
    await t.step("context prints the 12,560-byte description of Appendix B", async () => {
      const run = await runChild(["context"], { home });
      assert.equal(run.code, 0);
      assert.equal(new TextEncoder().encode(run.stdout).byteLength, 12_560);
      const doc = JSON.parse(run.stdout);
      assert.equal(doc.version, "1.2");
      assert.equal(Object.keys(doc.error_codes).length, 7);
      assert.ok(run.stdout.includes('"\\u003cnode_id\\u003e"'));
    });
  });
});

Deno.test("pilotctl: --json is stripped anywhere; other spellings reach the command (§2.1)", async () => {
  await withHome(async (home) => {
    const vars = { HOME: home };
    const run = await runInProcess(["config", "--json", "--set", "a=1"], vars);
    assert.equal(run.stdout, '{"data":{"key":"a","value":"1"},"status":"ok"}\n');
    const asFlag = await runInProcess(["config", "--json=true"], vars);
    assert.ok(asFlag.stdout.startsWith("{\n"), "--json=true is not the global switch");
  });
});

Deno.test("pilotctl: group commands report missing and unknown subcommands with their hints (§2.2)", async () => {
  const cases: [string[], string, string][] = [
    [["daemon"], "missing subcommand", "available: pilotctl daemon start | stop | status"],
    [["daemon", "restart"], "unknown daemon subcommand: restart", "available: start, stop, status"],
    [["gateway"], "missing subcommand", "available: pilotctl gateway start | stop | map | unmap | list"],
    [["gateway", "x"], "unknown gateway subcommand: x", "available: start, stop, map, unmap, list"],
    [
      ["task"],
      "missing subcommand",
      "available: pilotctl task submit | accept | decline | execute | send-results | list | queue",
    ],
    [
      ["task", "Submit"],
      "unknown task subcommand: Submit",
      "available: submit, accept, decline, execute, send-results, list, queue",
    ],
  ];
  for (const [argv, message, hint] of cases) {
    const text = await runInProcess(argv, {});
    assert.equal(text.code, 1);
    assert.equal(text.stderr, `error: ${message}\nhint:  ${hint}\n`);
    const json = await runInProcess(["--json", ...argv], {});
    assert.deepEqual(JSON.parse(json.stderr), { code: "invalid_argument", hint, message, status: "error" });
  }
});

Deno.test("pilotctl: dispatch is case-sensitive and ignores prototype names", async () => {
  for (const word of ["INFO", "constructor", "__proto__", "toString", "revoke", "help", "-h"]) {
    const run = await runInProcess([word], {});
    assert.equal(run.code, 2, word);
    assert.ok(run.stderr.startsWith(`unknown command: ${word}\n\n`));
  }
});

Deno.test("pilotctl: all 57 commands of §1 are in the table and none is a placeholder", async () => {
  const built = [
    "task submit",
    "task accept",
    "task decline",
    "task execute",
    "task send-results",
    "task list",
    "task queue",
    "gateway start",
    "gateway stop",
    "gateway map",
    "gateway unmap",
    "gateway list",
    "init",
    "config",
    "context",
    "daemon start",
    "daemon stop",
    "daemon status",
    "_daemon-run",
    "register",
    "lookup",
    "rotate-key",
    "set-public",
    "set-private",
    "deregister",
    "find",
    "set-hostname",
    "clear-hostname",
    "set-tags",
    "clear-tags",
    "enable-tasks",
    "disable-tasks",
    "set-webhook",
    "clear-webhook",
    "handshake",
    "approve",
    "reject",
    "untrust",
    "pending",
    "trust",
    "connect",
    "send",
    "recv",
    "send-file",
    "send-message",
    "subscribe",
    "publish",
    "ping",
    "traceroute",
    "bench",
    "listen",
    "connections",
    "disconnect",
    "received",
    "inbox",
    "info",
    "peers",
    "broadcast",
  ];
  assert.equal(built.length - 1, 57, "57 user commands (plus _daemon-run)");
  // Every listed name resolves through the table, the group words to their subcommand.
  // No command is left on the `notImplemented` stand-in.
  for await (const entry of Deno.readDir(new URL("../cli/commands/", import.meta.url))) {
    const source = await Deno.readTextFile(new URL(`../cli/commands/${entry.name}`, import.meta.url));
    assert.doesNotMatch(source, /notImplemented\(/, `cli/commands/${entry.name} still has a placeholder`);
  }
  for (const name of built) {
    const [word, sub] = name.split(" ");
    const entry = findCommand(word);
    assert.ok(entry !== undefined, name);
    if (sub !== undefined) assert.ok("group" in entry && Object.hasOwn(entry.group.subcommands, sub), name);
    else assert.ok("run" in entry, name);
  }
  const broadcast = await runInProcess(["--json", "broadcast", "1", "hi"], {});
  assert.equal(
    broadcast.stderr,
    '{"code":"unavailable","message":"broadcast is not available yet — custom networks are WIP","status":"error"}\n',
  );
});
