/**
 * End to end: every data-plane command of the product page (shared/spec/seed-built-in-services.txt)
 * and of cli.md §10/§14 run as `pilotctl` child processes, under pilotctl's permission flags, against
 * real daemons: alpha (embedded registry and beacon), beta, and quiet (`-no-echo`, `-no-eventstream`,
 * `-no-dataexchange`). Text and `--json` outputs are compared with the layouts cli.md fixes.
 *
 * Where a command must run while another waits (recv, listen, subscribe), the waiting one is started
 * first and the other is repeated until the waiting one has what it needs, each round bounded.
 */

import assert from "node:assert/strict";
import { type ChildOptions, runChild, spawnChild } from "../cli/_testing.ts";
import { IpcClient } from "../lib/ipc/mod.ts";
import { parseAddress } from "../lib/protocol/mod.ts";
import { startDaemon, type TestDaemon } from "./_helpers/daemon.ts";
import { withDeadline } from "./_helpers/deadline.ts";

const decoder = new TextDecoder();

function on(daemon: TestDaemon, extra: Partial<ChildOptions> = {}): ChildOptions {
  return { home: daemon.home, socket: daemon.socket, ...extra };
}

function json(stdout: string): Record<string, unknown> {
  const value: unknown = JSON.parse(stdout);
  assert.ok(typeof value === "object" && value !== null && !Array.isArray(value), stdout);
  return Object.fromEntries(Object.entries(value));
}

/** Waits up to `ms` for `child` to exit; `undefined` while it still runs. */
async function exitWithin(child: Deno.ChildProcess, ms: number): Promise<Deno.CommandStatus | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const later = new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), ms));
  try {
    return await Promise.race([child.status, later]);
  } finally {
    clearTimeout(timer);
  }
}

/** Repeats `act` until `child` exits (at most `rounds` times); returns the child's output. */
async function actUntilExit(
  child: Deno.ChildProcess,
  act: (round: number) => Promise<void>,
  rounds = 20,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = child.output();
  for (let round = 0; round < rounds; round++) {
    await act(round);
    if (await exitWithin(child, 300) !== undefined) break;
  }
  const done = await withDeadline(output, 20_000, "waiting command did not finish");
  return { code: done.code, stdout: decoder.decode(done.stdout), stderr: decoder.decode(done.stderr) };
}

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return new Uint8Array(digest).toHex();
}

Deno.test("e2e: the data-plane commands work between real daemons", async (t) => {
  await using alpha = await startDaemon({ flags: ["-public", "-hostname", "alpha"] });
  const join = { registry: String(alpha.ready.registry), beacon: String(alpha.ready.beacon) };
  await using beta = await startDaemon({ ...join, flags: ["-public", "-hostname", "beta"] });
  await using quiet = await startDaemon({
    ...join,
    flags: ["-public", "-no-echo", "-no-eventstream", "-no-dataexchange"],
  });
  const a = on(alpha);

  await t.step("ping: text lines, JSON results, resolved hostname on stderr", async () => {
    const text = await runChild(["ping", "beta", "--count", "2"], a);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.equal(lines[0], `PING ${beta.address}`);
    assert.match(lines[1], /^seq=0 bytes=6 time=\d+(\.\d+)?(ms|µs|s)$/);
    assert.match(lines[2], /^seq=1 bytes=6 time=/);
    assert.equal(text.stderr, `resolved "beta" → ${beta.address}\n`);
    const out = await runChild(["--json", "ping", beta.address, "--count", "1"], a);
    const data = json(out.stdout).data as Record<string, unknown>;
    assert.equal(data.target, beta.address);
    assert.equal(data.timeout, false);
    const [first] = data.results as Array<Record<string, unknown>>;
    assert.equal(first.bytes, 6);
    assert.equal(first.seq, 0);
    assert.equal(typeof first.rtt_ms, "number");
  });

  await t.step("ping: refused probes exit 1; --count 0 is rejected", async () => {
    const refused = await runChild(["ping", quiet.address, "--count", "1"], a);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, `PING ${quiet.address}\nseq=0 error: dial: daemon: connection refused\n`);
    assert.match(refused.stderr, /^error: no reply from .*connection refused\nhint: {2}check that /);
    const zero = await runChild(["--json", "ping", beta.address, "--count", "0"], a);
    assert.equal(zero.code, 1);
    assert.equal(zero.stdout, "");
    assert.equal(json(zero.stderr).code, "invalid_argument");
  });

  await t.step("a node reaches its own echo service", async () => {
    const self = await runChild(["ping", alpha.address, "--count", "1"], a);
    assert.equal(self.code, 0, self.stdout + self.stderr);
    assert.match(self.stdout, /seq=0 bytes=6/);
  });

  await t.step("traceroute: setup line, three samples, JSON", async () => {
    const text = await runChild(["traceroute", beta.address], a);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.equal(lines[0], `TRACEROUTE ${beta.address}`);
    assert.match(lines[1], new RegExp(`^  1  ${beta.address}  setup=`));
    for (const line of lines.slice(2, 5)) assert.match(line, /^ {5}rtt=\S+ bytes=7$/);
    assert.equal(
      lines.slice(5).join("\n"),
      [
        "",
        "setup includes: tunnel negotiation + SYN/ACK handshake",
        "rtt is: data round-trip over established connection",
        "",
      ].join("\n"),
    );
    const bad = await runChild(["traceroute", "2"], a);
    assert.equal(bad.stderr, 'error: parse address: invalid address: "2" (expected N:XXXX.YYYY.YYYY)\n');
  });

  await t.step("bench: text lines and JSON byte counts; no echo port is a clear error", async () => {
    const text = await runChild(["bench", "beta", "0.5"], a);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.equal(lines[0], `BENCH ${beta.address} — sending 512.0 KB via echo port`);
    assert.match(lines[1], /^ {2}Sent: {5}512\.0 KB in \S+ \(\d+\.\d MB\/s\)$/);
    assert.match(lines[2], /^ {2}Echoed: {3}512\.0 KB in \S+ \(\d+\.\d MB\/s round-trip\)$/);
    const out = await runChild(["--json", "bench", beta.address, "0.01"], a);
    const data = json(out.stdout).data as Record<string, unknown>;
    assert.equal(data.sent_bytes, 10485);
    assert.equal(data.recv_bytes, 10485);
    assert.ok(Number.isInteger(data.send_duration_ms) && Number.isInteger(data.total_duration_ms));
    const refused = await runChild(["--json", "bench", quiet.address], a);
    assert.deepEqual(json(refused.stderr), {
      code: "connection_failed",
      hint: `check that ${quiet.address} is reachable: pilotctl ping ${quiet.address}`,
      message: `cannot connect to ${quiet.address} echo port`,
      status: "error",
    });
  });

  await t.step("connect and send: echo port, message and pipe mode", async () => {
    const text = await runChild(["connect", "beta", "7", "--message", "hi echo"], a);
    assert.equal(text.stdout, "hi echo\n");
    const piped = await runChild(["--json", "connect", "2", "7"], {
      ...a,
      stdin: new TextEncoder().encode("line1\r\nline2\n\n"),
    });
    assert.equal(
      piped.stdout,
      `{"data":{"port":7,"response":"line1\\nline2\\n","sent":"line1\\nline2\\n","target":"${beta.address}"},"status":"ok"}\n`,
    );
    const devNull = await runChild(["connect", "beta", "7"], a);
    assert.equal(devNull.code, 1);
    assert.match(devNull.stderr, /--message is required \(interactive mode not supported\)/);
    const sent = await runChild(["--json", "send", "beta", "7", "--data", "hi"], a);
    assert.deepEqual(json(sent.stdout).data, { port: 7, response: "hi", sent: "hi", target: beta.address });
    const closed = await runChild(["connect", "beta", "--message", "x"], a);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, new RegExp(`error: cannot connect to ${beta.address} port 1000\n`));
  });

  await t.step("recv on port 1000 gets what connect sends", async () => {
    const recv = spawnChild(["--json", "recv", "1000", "--timeout", "20s"], on(beta));
    let last = "";
    const got = await actUntilExit(recv, async () => {
      const sent = await runChild(["connect", "beta", "--message", "hello"], a);
      last = sent.stderr;
    });
    assert.equal(got.code, 0, got.stderr);
    assert.equal(
      got.stdout,
      '{"data":{"messages":[{"bytes":5,"data":"hello","port":1000,"seq":0}],"timeout":false},"status":"ok"}\n',
    );
    assert.match(last, /sent 5 bytes \(no response\)\n$/);
  });

  await t.step("recv on a custom port: text lines, and the timeout result", async () => {
    const recv = spawnChild(["recv", "5001", "--count", "2", "--timeout", "20s"], on(beta));
    const got = await actUntilExit(recv, async (round) => {
      await runChild(["send", beta.address, "5001", "--data", `msg-${round}`, "--timeout", "2s"], a);
    });
    assert.equal(got.code, 0, got.stderr);
    const lines = got.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    for (const line of lines) assert.match(line, /^msg-\d+$/);
    const idle = await runChild(["--json", "recv", "5002", "--timeout", "300ms"], on(beta));
    assert.equal(idle.stdout, '{"data":{"messages":null,"timeout":true},"status":"ok"}\n');
    const idleText = await runChild(["recv", "5002", "--timeout", "300ms"], on(beta));
    assert.equal(idleText.code, 0);
    assert.equal(idleText.stderr, "timeout\n");
  });

  await t.step("listen prints the datagrams sent to its port, and only those", async () => {
    await using ipc = await IpcClient.connect(alpha.socket);
    const listen = spawnChild(["--json", "listen", "5555", "--count", "2", "--timeout", "20s"], on(beta));
    const got = await actUntilExit(listen, async (round) => {
      await ipc.sendTo(parseAddress(beta.address), 5556, new TextEncoder().encode("elsewhere"));
      await ipc.sendTo(parseAddress(beta.address), 5555, new TextEncoder().encode(`dgram ${round}`));
    });
    assert.equal(got.code, 0, got.stderr);
    const data = json(got.stdout).data as { messages: Array<Record<string, unknown>>; timeout: boolean };
    assert.equal(data.timeout, false);
    assert.equal(data.messages.length, 2);
    for (const m of data.messages) {
      assert.match(String(m.data), /^dgram \d+$/);
      assert.equal(m.src_addr, alpha.address);
      assert.equal(m.bytes, String(m.data).length);
    }
  });

  await t.step("subscribe --count receives what publish sends", async () => {
    const sub = spawnChild(["--json", "subscribe", "beta", "status", "--count", "2", "--timeout", "20s"], a);
    const published: string[] = [];
    const got = await actUntilExit(sub, async (round) => {
      const out = await runChild(["publish", "beta", "status", "--data", `processing complete ${round}`], a);
      published.push(out.stdout);
    });
    assert.equal(got.code, 0, got.stderr);
    const data = json(got.stdout).data as { events: Array<Record<string, unknown>>; timeout: boolean };
    assert.equal(data.timeout, false);
    assert.equal(data.events.length, 2);
    for (const e of data.events) {
      assert.equal(e.topic, "status");
      assert.match(String(e.data), /^processing complete \d+$/);
    }
    assert.equal(
      published[0],
      `{\n  "bytes": 21,\n  "target": "${beta.address}",\n  "topic": "status"\n}\n`,
    );
    const idle = await runChild(["subscribe", "beta", "quiet-topic", "--timeout", "300ms"], a);
    assert.equal(idle.code, 0);
    assert.equal(
      idle.stderr,
      `resolved "beta" → ${beta.address}\nsubscribed to "quiet-topic" on ${beta.address} — waiting for events...\ntimeout\n`,
    );
    const refused = await runChild(["--json", "subscribe", quiet.address, "x"], a);
    assert.equal(
      json(refused.stderr).message,
      `cannot subscribe on ${quiet.address} (event stream port 1002)`,
    );
    const noPub = await runChild(["--json", "publish", quiet.address, "x", "--data", "y"], a);
    assert.equal(json(noPub.stderr).message, `cannot connect to ${quiet.address} (event stream port 1002)`);
  });

  await t.step("send-message and send-file to a node without data exchange fail clearly", async () => {
    const msg = await runChild(["--json", "send-message", quiet.address, "--data", "hi"], a);
    assert.deepEqual(json(msg.stderr), {
      code: "connection_failed",
      hint: `check that ${quiet.address} is reachable: pilotctl ping ${quiet.address}`,
      message: `cannot connect to ${quiet.address} (data exchange port 1001)`,
      status: "error",
    });
    const missing = await runChild(["send-file", "beta", `${alpha.home}/no-such-file`], {
      ...a,
      read: [`${alpha.home}/no-such-file`],
    });
    assert.equal(missing.stderr.split("\n").at(-2), `error: file not found: ${alpha.home}/no-such-file`);
    const unknown = await runChild(["--json", "send-file", "nosuch", "x"], a);
    assert.equal(json(unknown.stderr).code, "invalid_argument");
  });

  await t.step({
    name: "send-message and send-file reach beta's inbox and received files",
    fn: async () => {
      const text = await runChild(["send-message", "beta", "--data", "task complete"], a);
      assert.equal(text.code, 0, text.stderr);
      assert.equal(
        text.stdout,
        `{\n  "ack": "ACK TEXT 13 bytes",\n  "bytes": 13,\n  "target": "${beta.address}",\n  "type": "text"\n}\n`,
      );
      const asJson = await runChild(
        ["--json", "send-message", "beta", "--data", '{"result":42}', "--type", "json"],
        a,
      );
      assert.deepEqual(json(asJson.stdout).data, {
        ack: "ACK JSON 13 bytes",
        bytes: 13,
        target: beta.address,
        type: "json",
      });
      const inbox = await runChild(["--json", "inbox"], on(beta));
      assert.match(inbox.stdout, /task complete/);

      const file = `${alpha.home}/report.bin`;
      const bytes = new Uint8Array(5 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
      await Deno.writeFile(file, bytes);
      const sent = await runChild(["--json", "send-file", "beta", file], { ...a, read: [file] });
      assert.equal(sent.code, 0, sent.stderr);
      const data = json(sent.stdout).data as Record<string, unknown>;
      assert.equal(data.bytes, bytes.length);
      assert.equal(data.filename, "report.bin");
      assert.equal(data.destination, beta.address);
      const received = await runChild(["--json", "received"], on(beta));
      const files = (json(received.stdout).data as { files: Array<{ name: string; path: string }> }).files;
      const got = files.find((f) => f.name.startsWith("report"));
      assert.ok(got !== undefined, received.stdout);
      assert.equal(await sha256(got.path), await sha256(file));
    },
  });
});
