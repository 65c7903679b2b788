/**
 * The data-plane commands' local rules, without a daemon: usage errors (cli.md §10, §14), the order
 * in which arguments are checked, pipe-mode input joining (§10.1 step 6) and the progress meter only
 * on a terminal in text mode.
 */

import assert from "node:assert/strict";
import { runInProcess } from "../cli/_testing.ts";
import { readStdinLines } from "../cli/commands/_stdin_lines.ts";
import { ProgressMeter } from "../cli/progress.ts";
import { Renderer } from "../cli/render.ts";

const NO_DAEMON = { HOME: "/nonexistent", PILOT_SOCKET: "/nonexistent/pilot.sock" };

Deno.test("data-plane commands: each prints its usage when positionals are missing", async () => {
  const usages: Array<[string[], string]> = [
    [["connect"], "usage: pilotctl connect <address|hostname> [port] [--message <msg>] [--timeout <dur>]"],
    [["send", "2"], "usage: pilotctl send <address|hostname> <port> --data <msg> [--timeout <dur>]"],
    [["recv"], "usage: pilotctl recv <port> [--count <n>] [--timeout <dur>]"],
    [["send-file", "2"], "usage: pilotctl send-file <address|hostname> <filepath>"],
    [
      ["send-message"],
      "usage: pilotctl send-message <address|hostname> --data <text> [--type text|json|binary]",
    ],
    [
      ["subscribe", "2"],
      "usage: pilotctl subscribe <address|hostname> <topic> [--count <n>] [--timeout <dur>]",
    ],
    [["publish", "2"], "usage: pilotctl publish <address|hostname> <topic> --data <message>"],
    [["ping"], "usage: pilotctl ping <address|hostname> [--count <n>] [--timeout <dur>]"],
    [["traceroute"], "usage: pilotctl traceroute <address> [--timeout <dur>]"],
    [["bench"], "usage: pilotctl bench <address|hostname> [size_mb] [--timeout <dur>]"],
    [["listen"], "usage: pilotctl listen <port> [--count <n>] [--timeout <dur>]"],
  ];
  for (const [argv, message] of usages) {
    const run = await runInProcess(["--json", ...argv], NO_DAEMON);
    assert.equal(run.code, 1, argv.join(" "));
    assert.deepEqual(JSON.parse(run.stderr), { code: "invalid_argument", message, status: "error" });
  }
});

Deno.test("data-plane commands: local arguments are checked before the daemon, others after", async () => {
  const recv = await runInProcess(["recv", "70000"], NO_DAEMON);
  assert.equal(
    recv.stderr,
    'error: invalid port "70000": strconv.ParseUint: parsing "70000": value out of range\n',
  );
  const ping = await runInProcess(["ping", "2", "--count", "x"], NO_DAEMON);
  assert.equal(
    ping.stderr,
    'error: invalid integer for --count: strconv.Atoi: parsing "x": invalid syntax\n',
  );
  const zero = await runInProcess(["ping", "2", "--count", "0"], NO_DAEMON);
  assert.equal(zero.stderr, "error: invalid --count 0: must be at least 1\n");
  const listen = await runInProcess(["listen", "p"], NO_DAEMON);
  assert.match(listen.stderr, /^error: invalid port "p"/);
  // connect parses its port only after reaching the daemon (§10.1 steps 2–3).
  const connect = await runInProcess(["connect", "2", "bad-port"], NO_DAEMON);
  assert.equal(
    connect.stderr,
    "error: daemon is not running\nhint:  start the daemon with: pilotctl daemon start\n",
  );
});

function stream(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return ReadableStream.from(chunks.map((chunk) => encoder.encode(chunk)));
}

async function joined(...chunks: string[]): Promise<string> {
  return new TextDecoder().decode(await readStdinLines(stream(...chunks)));
}

Deno.test("connect pipe mode: lines joined as the reference's scanner does", async () => {
  assert.equal(await joined("line1\nline2\n\n"), "line1\nline2\n");
  assert.equal(await joined("\n\nfirst\r\nsecond"), "first\nsecond");
  assert.equal(await joined("sp", "lit\nac", "ross\n"), "split\nacross");
  assert.equal(await joined(""), "");
  assert.equal(await joined("\n\n\n"), "");
});

Deno.test("connect pipe mode: a line over 64 KiB silently ends the input", async () => {
  const long = "x".repeat(70_000);
  assert.equal(await joined("kept\n", long, "\nlost\n"), "kept");
  assert.equal(await joined("kept\n", long), "kept");
  const fits = "y".repeat(65_535);
  assert.equal((await joined(`${fits}\nafter`)).length, 65_535 + 6);
});

function capture(): { sink: { write(b: Uint8Array): void }; text(): string } {
  const parts: string[] = [];
  const decoder = new TextDecoder();
  return { sink: { write: (b) => void parts.push(decoder.decode(b)) }, text: () => parts.join("") };
}

Deno.test("progress meter: drawn in place on a terminal, never in JSON mode or on a pipe", () => {
  const tty = capture();
  const out = new Renderer({ json: false, stderr: tty.sink, stdout: capture().sink, isTerminal: true });
  assert.equal(out.showsProgress, true);
  const meter = new ProgressMeter(out, "sending f", 2 * 1024 * 1024);
  meter.update(1024 * 1024);
  meter.done("sent 2.0 MB");
  const first = "sending f  1.0 MB / 2.0 MB (50%)";
  const last = "sent 2.0 MB";
  // The final line pads over the longer one before it, so no stale characters remain.
  assert.equal(tty.text(), `\r${first}\r${last}${" ".repeat(first.length - last.length)}\n`);
  assert.equal(new Renderer({ json: true, stderr: tty.sink, isTerminal: true }).showsProgress, false);
  assert.equal(new Renderer({ json: false, stderr: tty.sink, isTerminal: false }).showsProgress, false);
});
