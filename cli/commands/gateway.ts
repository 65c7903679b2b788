/**
 * Gateway commands (cli.md §16): `start` (gateway_start.ts) runs the IP gateway in the foreground;
 * `stop` signals it; `map`, `unmap` and `list` act on the running gateway through its control socket.
 *
 * Deliberate differences from the reference (issue #5, §20 item 9): there, `map`/`unmap`/`list` build a
 * fresh, empty gateway inside the CLI process, so `list` always shows nothing, `unmap` always fails and
 * `map`'s listeners die with the command. Here they reach the running gateway, so `map` also needs one
 * (`not_running` otherwise). `stop` returns as soon as the gateway has exited, at most after the
 * reference's fixed 1 s wait. Texts, codes and layouts are the reference's.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import { callGatewayControl, type ControlReply, type ControlRequest } from "../../lib/gateway/mod.ts";
import { formatAddress } from "../../lib/protocol/mod.ts";
import { parseAddressArg } from "../args.ts";
import type { CommandContext, CommandRun } from "../command.ts";
import { processExists, signalProcess } from "../daemon_process.ts";
import { type GatewayFiles, gatewayFiles, gatewayNotRunning, runningGatewayPid } from "./gateway_files.ts";
import { runGatewayStart } from "./gateway_start.ts";

/** §16.2: the reference sleeps exactly this long after SIGTERM; we stop waiting once the process is gone. */
const STOP_WAIT_MS = 1_000;
const STOP_POLL_MS = 50;

const START_HINT = "start with: pilotctl gateway start";
const LIST_START_HINT = "start with: pilotctl gateway start [--ports <list>] [<pilot-addr>...]";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `gateway stop` (§16.2); arguments are ignored. */
async function runStop(ctx: CommandContext): Promise<void> {
  const files = gatewayFiles(ctx.env);
  const pid = await runningGatewayPid(files);
  if (pid === 0) throw gatewayNotRunning();
  await signalProcess(pid, "SIGTERM");
  const deadline = performance.now() + STOP_WAIT_MS;
  while (performance.now() < deadline && await processExists(pid) !== false) await sleep(STOP_POLL_MS);
  await Deno.remove(files.pidFile).catch(() => {/* the gateway removed it on its way out */});
  ctx.out.result({ pid });
}

/** Sends `request` to the running gateway; `hint` is the command's `not_running` hint. */
async function askGateway(files: GatewayFiles, request: ControlRequest, hint: string): Promise<ControlReply> {
  if (await runningGatewayPid(files) === 0) throw gatewayNotRunning(hint);
  try {
    return await callGatewayControl(files.socket, request);
  } catch (err) {
    throw new PilotError(
      "connection_failed",
      `gateway control: ${err instanceof Error ? err.message : String(err)}`,
      { hint: "restart it with: pilotctl gateway stop && pilotctl gateway start", cause: err },
    );
  }
}

function unexpected(reply: ControlReply): PilotError {
  return new PilotError("internal", `gateway control: unexpected ${reply.type} reply`);
}

/** `gateway map <address> [local-ip]` (§16.3), raw arguments. */
async function runMap(ctx: CommandContext): Promise<void> {
  const [target, localIp] = ctx.args;
  if (target === undefined) {
    throw new PilotError("invalid_argument", "usage: pilotctl gateway map <pilot-addr> [local-ip]");
  }
  const address = parseAddressArg(target);
  const request: ControlRequest = localIp === undefined
    ? { op: "map", pilotAddr: formatAddress(address) }
    : { op: "map", pilotAddr: formatAddress(address), localIp };
  const reply = await askGateway(gatewayFiles(ctx.env), request, START_HINT);
  if (reply.type === "error") throw new PilotError("internal", `map: ${reply.message}`);
  if (reply.type !== "mapping") throw unexpected(reply);
  ctx.out.result({ local_ip: reply.mapping.localIp, pilot_addr: reply.mapping.pilotAddr });
}

/** `gateway unmap <local-ip>` (§16.4), raw arguments. */
async function runUnmap(ctx: CommandContext): Promise<void> {
  const [localIp] = ctx.args;
  if (localIp === undefined) {
    throw new PilotError("invalid_argument", "usage: pilotctl gateway unmap <local-ip>");
  }
  const reply = await askGateway(gatewayFiles(ctx.env), { op: "unmap", localIp }, START_HINT);
  if (reply.type === "error") {
    // §16.4: an unknown IP and a malformed one are both `not_found`.
    const missing = reply.code === "service_gateway_no_mapping" || reply.code === "service_gateway_bad_ip";
    throw new PilotError(missing ? "not_found" : "internal", reply.message);
  }
  if (reply.type !== "unmapped") throw unexpected(reply);
  ctx.out.result({ unmapped: reply.localIp });
}

/** `gateway list` (§16.5); arguments are ignored. */
async function runList(ctx: CommandContext): Promise<void> {
  const reply = await askGateway(gatewayFiles(ctx.env), { op: "list" }, LIST_START_HINT);
  if (reply.type === "error") throw new PilotError("internal", `list: ${reply.message}`);
  if (reply.type !== "mappings") throw unexpected(reply);
  const mappings = reply.mappings.map((m) => ({ local_ip: m.localIp, pilot_addr: m.pilotAddr }));
  const text = mappings.length === 0
    ? "no mappings"
    : [...mappings.map((m) => `${m.local_ip} → ${m.pilot_addr}`), `total: ${mappings.length}`].join("\n");
  ctx.out.result({ mappings, total: mappings.length }, text);
}

/** `gateway start | stop | map | unmap | list`, in the order of the §2.2 hints. */
export const GATEWAY_SUBCOMMANDS: Readonly<Record<string, CommandRun>> = {
  start: runGatewayStart,
  stop: runStop,
  map: runMap,
  unmap: runUnmap,
  list: runList,
};
