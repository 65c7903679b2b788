/**
 * `subscribe` and `publish` (cli.md §10.6, §10.7, services.md §5.5, §5.6): a peer's event stream broker
 * on port 1002. `subscribe` prints events live (text lines, or NDJSON without `--count`) or collects
 * them for one envelope; `publish` writes one event and closes.
 *
 * @module
 */

import { isPilotError, PilotError } from "../../lib/errors.ts";
import { publish, subscribe, type SubscribedEvent } from "../../lib/services/event_stream/mod.ts";
import { formatAddress, goQuote, PORTS } from "../../lib/protocol/mod.ts";
import { durationFlag, intFlag, parseArgs, requirePositionals, stringFlag } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { closeAndWait, dialOrFail, reachableHint, resolveTarget } from "../data_plane.ts";
import { openDaemon } from "../daemon_link.ts";

const encoder = new TextEncoder();

function record(event: SubscribedEvent): { bytes: number; data: string; topic: string } {
  return { bytes: event.bytes, data: event.data, topic: event.topic };
}

async function runSubscribe(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(
    parsed,
    2,
    "usage: pilotctl subscribe <address|hostname> <topic> [--count <n>] [--timeout <dur>]",
  );
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const topic = parsed.positionals[1];
  const count = intFlag(parsed, "count", 0);
  const timeoutMs = durationFlag(parsed, "timeout", 0);
  const target = formatAddress(address);
  const failure = `cannot subscribe on ${target} (event stream port 1002)`;
  const conn = await dialOrFail(ipc, address, PORTS.EVENT_STREAM, failure);
  const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
  const live = count <= 0;
  let result;
  try {
    ctx.out.progress(`subscribed to ${goQuote(topic)} on ${target} — waiting for events...\n`);
    result = await subscribe(conn, topic, {
      count: Math.max(0, count),
      signal,
      onEvent: (event) => {
        if (ctx.out.json) {
          if (live) ctx.out.ndjson(record(event));
          return;
        }
        ctx.out.bytes(Uint8Array.of(0x5b, ...event.rawTopic, 0x5d, 0x20)); // "[<topic>] "
        ctx.out.bytes(event.payload);
        ctx.out.text("\n");
      },
    });
  } catch (err) {
    if (isPilotError(err, "service_subscribe_failed")) {
      throw new PilotError("connection_failed", failure, { hint: reachableHint(target), cause: err });
    }
    throw err;
  } finally {
    await closeAndWait(conn);
  }
  const events = result.events.map(record);
  // Our close on timeout ends the IPC stream cleanly, which the helper may report as EOF.
  const end = signal?.aborted === true && result.end === "error" ? "aborted" : result.end;
  switch (end) {
    case "count":
      if (ctx.out.json) ctx.out.result({ events, timeout: false });
      return;
    case "aborted":
      if (!ctx.out.json) ctx.out.progress("timeout\n");
      else if (!live) ctx.out.result({ events: events.length === 0 ? null : events, timeout: true });
      return;
    case "error":
      if (!live && result.received > 0) {
        if (ctx.out.json) ctx.out.result({ error: result.error, events, timeout: false });
        return;
      }
      throw new PilotError("connection_failed", `recv: ${result.error ?? "EOF"}`);
  }
}

async function runPublish(ctx: CommandContext): Promise<void> {
  const parsed = parseArgs(ctx.args);
  requirePositionals(parsed, 2, "usage: pilotctl publish <address|hostname> <topic> --data <message>");
  await using ipc = await openDaemon(ctx.env);
  const address = await resolveTarget(ctx, ipc, parsed.positionals[0]);
  const data = stringFlag(parsed, "data");
  if (data === "") throw new PilotError("invalid_argument", "--data is required");
  const topic = parsed.positionals[1];
  const target = formatAddress(address);
  const failure = `cannot connect to ${target} (event stream port 1002)`;
  const conn = await dialOrFail(ipc, address, PORTS.EVENT_STREAM, failure);
  try {
    const published = await publish(conn, topic, encoder.encode(data));
    ctx.out.result({ bytes: published.bytes, target, topic });
  } catch (err) {
    if (isPilotError(err, "service_subscribe_failed")) {
      throw new PilotError("connection_failed", failure, { hint: reachableHint(target), cause: err });
    }
    throw err;
  } finally {
    // publish() already asked for the close; waiting for it makes sure the event left before we exit.
    await closeAndWait(conn);
  }
}

/** `subscribe` and `publish`. */
export const PUBSUB_COMMANDS: Readonly<Record<string, CommandRun>> = {
  subscribe: runSubscribe,
  publish: runPublish,
};
