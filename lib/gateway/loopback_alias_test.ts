import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../log.ts";
import { aliasCommand, systemLoopbackAliases } from "./loopback_alias.ts";

Deno.test("loopback alias: the commands of Linux and macOS, none inside 127/8 on Linux", () => {
  assert.deepEqual(aliasCommand("linux", "add", "10.4.0.1")?.args, [
    "addr",
    "add",
    "10.4.0.1/32",
    "dev",
    "lo",
  ]);
  assert.deepEqual(aliasCommand("linux", "remove", "10.4.0.1")?.args, [
    "addr",
    "del",
    "10.4.0.1/32",
    "dev",
    "lo",
  ]);
  assert.ok(aliasCommand("linux", "add", "10.4.0.1")?.programs.every((p) => p.endsWith("/ip")));
  assert.deepEqual(aliasCommand("darwin", "add", "10.4.0.1")?.args, ["lo0", "alias", "10.4.0.1"]);
  assert.deepEqual(aliasCommand("darwin", "remove", "127.77.0.1")?.args, ["lo0", "-alias", "127.77.0.1"]);
  assert.equal(aliasCommand("linux", "add", "127.77.0.1"), undefined);
  assert.equal(aliasCommand("windows", "add", "10.4.0.1"), undefined);
  assert.equal(
    aliasCommand("linux", "add", "10.4.0.1/32 dev eth0"),
    undefined,
    "only a parsed IP reaches argv",
  );
});

function recorder() {
  const records: LogRecord[] = [];
  return { records, logger: createLogger({ level: "debug", sink: (r) => records.push(r) }) };
}

Deno.test("loopback alias: failures are only logged, with the exit status", async () => {
  const { records, logger } = recorder();
  const calls: string[] = [];
  const aliases = systemLoopbackAliases({
    logger,
    os: "linux",
    run: (program, args) => {
      calls.push(`${program} ${args.join(" ")}`);
      if (program === "/usr/sbin/ip") return Promise.reject(new Deno.errors.NotFound("no such file"));
      return Promise.resolve({ code: 2 });
    },
  });
  await aliases.remove("10.4.0.9");
  assert.deepEqual(calls, [
    "/usr/sbin/ip addr del 10.4.0.9/32 dev lo",
    "/sbin/ip addr del 10.4.0.9/32 dev lo",
  ]);
  assert.equal(records.length, 1);
  assert.equal(records[0].level, "error");
  assert.equal(records[0].msg, "removeLoopbackAlias failed");
  assert.deepEqual(records[0].attrs, { ip: "10.4.0.9", os: "linux", err: "exit status 2" });
});

Deno.test("loopback alias: success logs nothing; 127/8 runs nothing; a refused program is reported", async () => {
  const { records, logger } = recorder();
  let runs = 0;
  const ok = systemLoopbackAliases({
    logger,
    os: "linux",
    run: () => (runs++, Promise.resolve({ code: 0 })),
  });
  await ok.add("10.4.0.1");
  await ok.add("127.77.0.1");
  assert.equal(runs, 1);
  assert.equal(records.length, 0);
  const refused = systemLoopbackAliases({
    logger,
    os: "linux",
    run: () => Promise.reject(new Deno.errors.NotCapable("Requires run access")),
  });
  await refused.add("10.4.0.1");
  assert.equal(records[0].msg, "addLoopbackAlias failed");
  assert.equal(records[0].attrs.err, "Requires run access");
});
