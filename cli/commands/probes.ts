/**
 * The data-plane diagnostics (cli.md §14.3–§14.6, services.md §2, §3.4): `ping`, `traceroute` and
 * `bench` on a peer's echo port 7, and `listen` for datagrams. Where issue #5 asks, we part from the
 * reference: `ping` refuses `--count` below 1 and exits 1 when no probe got an answer.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { benchEcho, pingOnce, type PingResult } from "../../lib/services/echo/mod.ts";
import { formatAddress, PORTS } from "../../lib/protocol/mod.ts";
import { durationFlag, intFlag, parseAddressArg, parseArgs, parsePort, requirePositionals } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import {
  closeAndWait,
  dialOrFail,
  errorText,
  reachableHint,
  readOnce,
  resolveTarget,
} from "../data_plane.ts";
import { openDaemon } from "../daemon_link.ts";
import { dialStream } from "../../lib/ipc/mod.ts";
import { ProgressMeter } from "../progress.ts";
import { formatBytes, formatDuration, formatFixed, microsToMs } from "../render.ts";

/** Pause between two pings (§14.3 step 4). */
const PING_INTERVAL_MS = 1_000;
const TRACE_SAMPLES = 3;
const TRACE_READ_BYTES = 1_024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `time=` of a ping line: the RTT rounded to whole nanoseconds, as a Go duration. */
function goDuration(ms: number): string {
  return formatDuration(Math.round(ms * 1e6) / 1e6);
}

/** Go's `Duration.Round(time.Millisecond)` for the bench lines: half away from zero. */
function roundToMs(ms: number): number {
  return Math.sign(ms) * Math.round(Math.abs(ms));
}

type PingRecord = { seq: number; error: string } | { seq: number; rtt_ms: number; bytes: number } | {
  seq: number;
  rtt_ms: number;
  error: string;
};

async function runPing(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 1, "usage: pilotctl ping <address|hostname> [--count <n>] [--timeout <dur>]");
  const count = intFlag(parsed, "count", 4);
  // Issue #5: the reference prints only the `PING` line for a count below 1; we say it is wrong.
  if (count < 1) throw new PilotError("invalid_argument", `invalid --count ${count}: must be at least 1`);
  const timeoutMs = durationFlag(parsed, "timeout", 30_000);
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const target = formatAddress(address);
  ctx.out.text(`PING ${target}\n`);
  const deadline = performance.now() + timeoutMs;
  const results: PingRecord[] = [];
  let answered = 0;
  let lastError = "";
  let timedOut = false;
  for (let seq = 0; seq < count; seq++) {
    if (performance.now() >= deadline) {
      timedOut = true;
      break;
    }
    const startedAt = performance.now();
    let conn;
    try {
      conn = await dialStream(ipc, address, PORTS.ECHO);
    } catch (err) {
      lastError = `dial: ${errorText(err)}`;
      results.push({ seq, error: lastError });
      ctx.out.text(`seq=${seq} error: ${lastError}\n`);
      await sleep(PING_INTERVAL_MS); // the reference pauses after a failed dial, also the last one
      continue;
    }
    const result: PingResult = await pingOnce(conn, seq, { startedAt });
    await closeAndWait(conn);
    if ("bytes" in result) {
      answered++;
      results.push({ seq, rtt_ms: result.rttMs, bytes: result.bytes });
      ctx.out.text(`seq=${seq} bytes=${result.bytes} time=${goDuration(result.elapsedMs)}\n`);
    } else {
      lastError = result.error;
      results.push({ seq, rtt_ms: result.rttMs, error: result.error });
      ctx.out.text(`seq=${seq} error: ${result.error}\n`);
    }
    if (seq < count - 1) await sleep(PING_INTERVAL_MS);
  }
  if (timedOut) ctx.out.text("timeout\n");
  if (answered === 0) {
    // Issue #5: a ping nobody answered is a failure a script can see.
    const why = lastError === "" ? "no probe was sent before the timeout" : lastError;
    throw new PilotError("connection_failed", `no reply from ${target}: ${why}`, {
      hint: reachableHint(target),
    });
  }
  if (ctx.out.json) ctx.out.result({ results, target, timeout: timedOut });
}

async function runTraceroute(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 1, "usage: pilotctl traceroute <address> [--timeout <dur>]");
  const timeoutMs = durationFlag(parsed, "timeout", 30_000);
  await using ipc = await openDaemon(ctx.env);
  const address = parseAddressArg(parsed.positionals[0]);
  const target = formatAddress(address);
  ctx.out.text(`TRACEROUTE ${target}\n`);
  const startedAt = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const dialing = dialStream(ipc, address, PORTS.ECHO).then((conn) => ({ conn }), (error) => ({ error }));
  const dialed = await Promise.race([dialing, expired]);
  clearTimeout(timer);
  if (dialed === "timeout") {
    // A dial that completes later must not leak its connection.
    void dialing.then((d) => "conn" in d && d.conn.close());
    throw new PilotError("timeout", "dial timeout");
  }
  const setupMs = performance.now() - startedAt;
  if ("error" in dialed) {
    const error = `dial: ${errorText(dialed.error)}`;
    ctx.out.result(
      { error, setup_ms: microsToMs(setupMs * 1000), target },
      `  1  ${target}  connection failed: ${error}`,
    );
    return;
  }
  const conn = dialed.conn;
  ctx.out.text(`  1  ${target}  setup=${goDuration(setupMs)}\n`);
  const samples: Array<{ rtt_ms: number; bytes?: number; error?: string }> = [];
  try {
    for (let i = 0; i < TRACE_SAMPLES; i++) {
      const sentAt = performance.now();
      let error: string | undefined;
      let bytes = 0;
      const writer = conn.writable.getWriter();
      try {
        await writer.write(new TextEncoder().encode(`trace-${i}`));
      } catch (err) {
        error = errorText(err);
      } finally {
        writer.releaseLock();
      }
      if (error === undefined) {
        const outcome = await readOnce(conn, TRACE_READ_BYTES);
        if (outcome.kind === "data") bytes = outcome.data.byteLength;
        else if (outcome.kind === "error") error = errorText(outcome.error);
        else error = "EOF";
      }
      const rtt = performance.now() - sentAt;
      const rttMs = microsToMs(rtt * 1000);
      if (error === undefined) {
        samples.push({ rtt_ms: rttMs, bytes });
        ctx.out.text(`     rtt=${goDuration(rtt)} bytes=${bytes}\n`);
      } else {
        samples.push({ rtt_ms: rttMs, error });
        ctx.out.text(`     rtt=${goDuration(rtt)} error: ${error}\n`);
      }
    }
  } finally {
    await closeAndWait(conn);
  }
  ctx.out.result(
    { rtt_samples: samples, setup_ms: microsToMs(setupMs * 1000), target },
    "\nsetup includes: tunnel negotiation + SYN/ACK handshake\nrtt is: data round-trip over established connection",
  );
}

/** Go's `strconv.ParseFloat(s, 64)` for the bench size, with its error text. */
function parseSizeMb(text: string): number {
  const valid = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) ||
    /^[+-]?(?:inf|infinity|nan)$/i.test(text);
  if (!valid || text.length > 64) {
    throw new PilotError(
      "invalid_argument",
      `invalid size: strconv.ParseFloat: parsing ${JSON.stringify(text)}: invalid syntax`,
    );
  }
  const value = Number(text.replace(/^([+-]?)inf(inity)?$/i, "$1Infinity"));
  const bytes = Math.trunc(value * 1_048_576);
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new PilotError("invalid_argument", `invalid size: ${text} MB is not a byte count we can send`);
  }
  return bytes;
}

async function runBench(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 1, "usage: pilotctl bench <address|hostname> [size_mb] [--timeout <dur>]");
  const timeoutMs = durationFlag(parsed, "timeout", 120_000);
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const total = parsed.positionals.length > 1 ? parseSizeMb(parsed.positionals[1]) : 1_048_576;
  const target = formatAddress(address);
  ctx.out.text(`BENCH ${target} — sending ${formatBytes(total)} via echo port\n`);
  const conn = await dialOrFail(ipc, address, PORTS.ECHO, `cannot connect to ${target} echo port`);
  const meter = ctx.out.showsProgress ? new ProgressMeter(ctx.out, "echoed", total) : undefined;
  let result;
  try {
    result = await benchEcho(conn, {
      bytes: total,
      timeoutMs,
      onProgress: (p) => meter?.update(p.recvBytes),
    });
  } finally {
    meter?.done();
    await closeAndWait(conn);
  }
  if (result.timedOut) {
    ctx.out.text(
      `warning: receive timed out (got ${formatBytes(result.recvBytes)} of ${formatBytes(total)})\n`,
    );
  }
  ctx.out.result(
    {
      recv_bytes: result.recvBytes,
      send_duration_ms: result.sendDurationMs,
      send_mbps: result.sendMbps,
      sent_bytes: result.sentBytes,
      target,
      total_duration_ms: result.totalDurationMs,
      total_mbps: result.totalMbps,
    },
    `  Sent:     ${formatBytes(result.sentBytes)} in ${formatDuration(roundToMs(result.sendElapsedMs))} (${
      formatFixed(result.sendMbps, 1)
    } MB/s)\n` +
      `  Echoed:   ${formatBytes(result.recvBytes)} in ${formatDuration(roundToMs(result.totalElapsedMs))} (${
        formatFixed(result.totalMbps, 1)
      } MB/s round-trip)`,
  );
}

type Datagram = { bytes: number; data: string; src_addr: string; src_port: number };

async function runListen(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 1, "usage: pilotctl listen <port> [--count <n>] [--timeout <dur>]");
  const port = parsePort(parsed.positionals[0]);
  const count = intFlag(parsed, "count", 0);
  const timeoutMs = durationFlag(parsed, "timeout", 0);
  await using ipc = await openDaemon(ctx.env);
  ctx.out.progress(`listening on port ${port} — waiting for datagrams...\n`);
  const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  const live = count <= 0;
  const messages: Datagram[] = [];
  const decoder = new TextDecoder();
  // §14.6 quirk kept: the port is not bound; every datagram the daemon pushes is filtered here.
  while (live || messages.length < count) {
    let datagram;
    try {
      datagram = await ipc.recvFrom({ signal });
    } catch (err) {
      if (err instanceof PilotError && err.code === "timeout") {
        if (!ctx.out.json) ctx.out.progress("timeout\n");
        else if (!live) ctx.out.result({ messages: messages.length === 0 ? null : messages, timeout: true });
        return;
      }
      throw new PilotError("connection_failed", `recv: ${errorText(err)}`, { cause: err });
    }
    if (datagram.dstPort !== port) continue;
    const src = formatAddress(datagram.srcAddress);
    const item = {
      bytes: datagram.data.byteLength,
      data: decoder.decode(datagram.data),
      src_addr: src,
      src_port: datagram.srcPort,
    };
    if (!live) messages.push(item);
    if (ctx.out.json) {
      if (live) ctx.out.ndjson(item);
    } else {
      ctx.out.text(`[${src}:${datagram.srcPort}] `);
      ctx.out.bytes(datagram.data);
      ctx.out.text("\n");
    }
  }
  if (ctx.out.json) ctx.out.result({ messages, timeout: false });
}

/** `ping`, `traceroute`, `bench` and `listen`. */
export const PROBE_COMMANDS: Readonly<Record<string, CommandRun>> = {
  ping: runPing,
  traceroute: runTraceroute,
  bench: runBench,
  listen: runListen,
};
