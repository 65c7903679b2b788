/**
 * End to end: `pilotctl daemon start` / `status` / `stop` in a temp home (cli.md §7), as child
 * processes under pilotctl's permission flags. The started daemon joins the registry of a daemon the
 * test runs itself (never the fixed embedded ports, which other tests may hold), and `--no-echo` is
 * passed through, so a `ping` to it reports "connection refused".
 */

import assert from "node:assert/strict";
import { runChild, spawnChild } from "../cli/_testing.ts";
import { startDaemon } from "./_helpers/daemon.ts";

Deno.test("e2e: daemon start, status and stop round trip with pid and log files", async () => {
  await using hub = await startDaemon({ flags: ["-public"] });
  const home = await Deno.makeTempDir({ prefix: "pd-life-" });
  const opts = { home, socket: `${home}/pilot.sock` };
  const join = ["--registry", String(hub.ready.registry), "--beacon", String(hub.ready.beacon)];
  let started = false;
  try {
    const start = await runChild(
      ["daemon", "start", ...join, "--listen", "127.0.0.1:0", "--hostname", "solo", "--public", "--no-echo"],
      opts,
    );
    assert.equal(start.code, 0, start.stderr);
    started = true;
    const pid = Number(await Deno.readTextFile(`${home}/.pilot/pilot.pid`));
    assert.ok(pid > 0);
    assert.match(start.stderr, new RegExp(`^starting daemon \\(pid ${pid}\\)\\.*\\n$`));
    const lines = start.stdout.split("\n");
    assert.equal(lines[0], `Daemon running (pid ${pid})`);
    assert.match(lines[1], /^ {2}Address: {2}0:0000\.[0-9A-F]{4}\.[0-9A-F]{4}$/);
    assert.equal(lines[2], "  Hostname: solo");
    assert.equal(lines[3], `  Socket:   ${home}/pilot.sock`);
    assert.equal(lines[4], `  Logs:     ${home}/.pilot/pilot.log`);
    const address = lines[1].slice("  Address:  ".length);
    for (const file of ["pilot.pid", "pilot.log"]) {
      assert.equal(((await Deno.stat(`${home}/.pilot/${file}`)).mode ?? 0) & 0o777, 0o600, file);
    }
    assert.match(await Deno.readTextFile(`${home}/.pilot/pilot.log`), /daemon running/);

    const again = await runChild(["--json", "daemon", "start", ...join], opts);
    assert.equal(again.code, 1);
    assert.equal(
      again.stderr,
      `{"code":"already_exists","hint":"stop it first with: pilotctl daemon stop","message":"daemon is already running (pid ${pid})","status":"error"}\n`,
    );

    const status = await runChild(["--json", "daemon", "status"], opts);
    const data = JSON.parse(status.stdout).data;
    assert.equal(data.running, true);
    assert.equal(data.responsive, true);
    assert.equal(data.pid, pid);
    assert.equal(data.address, address);
    assert.equal(data.hostname, "solo");
    assert.equal((await runChild(["daemon", "status", "--check"], opts)).code, 0);

    // --no-echo reached the daemon: its echo port is closed to a peer.
    const ping = await runChild(["ping", address, "--count", "1"], { home: hub.home, socket: hub.socket });
    assert.equal(ping.code, 1);
    assert.match(ping.stdout, /seq=0 error: dial: daemon: connection refused/);

    const stop = await runChild(["daemon", "stop"], opts);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `daemon stopped (pid ${pid})\n`);
    started = false;
    await assert.rejects(Deno.stat(`${home}/.pilot/pilot.pid`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`${home}/pilot.sock`), Deno.errors.NotFound, "the daemon removed it");
    const after = await runChild(["daemon", "status"], opts);
    assert.equal(after.stdout, "Daemon: stopped\n  start with: pilotctl daemon start\n");
    assert.equal((await runChild(["daemon", "status", "--check"], opts)).code, 1);
    const stopAgain = await runChild(["--json", "daemon", "stop"], opts);
    assert.equal(
      stopAgain.stderr,
      '{"code":"not_running","message":"daemon is not running","status":"error"}\n',
    );
  } finally {
    if (started) await runChild(["daemon", "stop"], opts);
    await Deno.remove(home, { recursive: true }).catch(() => {/* removed with the run's folder */});
  }
});

Deno.test("e2e: daemon start reports a daemon that cannot start, with its log", async () => {
  const home = await Deno.makeTempDir({ prefix: "pd-life-" });
  const opts = { home, socket: `${home}/pilot.sock` };
  try {
    // Port 1 on loopback: nothing listens, so registration fails and the daemon exits.
    const start = await runChild([
      "--json",
      "daemon",
      "start",
      "--registry",
      "127.0.0.1:1",
      "--beacon",
      "127.0.0.1:1",
    ], opts);
    assert.equal(start.code, 1);
    const error = JSON.parse(start.stderr);
    assert.equal(error.code, "timeout");
    assert.match(error.message, /^daemon started \(pid \d+\) but did not become ready within 15s$/);
    assert.equal(error.hint, `check logs: tail -f ${home}/.pilot/pilot.log`);
    assert.match(await Deno.readTextFile(`${home}/.pilot/pilot.log`), /daemon start: /);
    const stale = await runChild(["daemon", "stop"], opts);
    assert.equal(stale.stderr, "error: daemon is not running (cleaned up stale state)\n");
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {/* removed with the run's folder */});
  }
});

Deno.test("e2e: daemon start --foreground runs attached until SIGTERM, then exits 0", async () => {
  await using hub = await startDaemon({ flags: ["-public"] });
  const home = await Deno.makeTempDir({ prefix: "pd-life-" });
  const opts = { home, socket: `${home}/pilot.sock` };
  const join = ["--registry", String(hub.ready.registry), "--beacon", String(hub.ready.beacon)];
  const child = spawnChild(["daemon", "start", "--foreground", ...join, "--listen", "127.0.0.1:0"], opts);
  const output = child.output();
  try {
    let ready = false;
    for (let i = 0; i < 50 && !ready; i++) {
      ready = (await runChild(["daemon", "status", "--check"], opts)).code === 0;
    }
    assert.ok(ready, "the foreground daemon answers Info");
    await assert.rejects(Deno.stat(`${home}/.pilot/pilot.pid`), Deno.errors.NotFound, "no PID file");
    // §7.3 quirk: responsive, but without a PID file the header says stopped.
    assert.match(
      (await runChild(["daemon", "status"], opts)).stdout,
      /^Daemon: stopped \(pid 0\)\n {2}Node ID:/,
    );
  } finally {
    child.kill("SIGTERM");
    const done = await output;
    assert.equal(done.code, 0, new TextDecoder().decode(done.stderr));
    assert.match(new TextDecoder().decode(done.stderr), /daemon stopped/);
    await Deno.remove(home, { recursive: true }).catch(() => {/* removed with the run's folder */});
  }
});
