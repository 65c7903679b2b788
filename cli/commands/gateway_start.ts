/**
 * `gateway start` (cli.md §16.1): runs the IP gateway in the foreground until SIGINT/SIGTERM. The steps
 * and error texts are the reference's; our one addition is the control socket (`gateway.sock`, mode
 * 0600) that lets `gateway map`, `unmap` and `list` act on this process (issue #5).
 *
 * Overlay streams are dialled through one IPC connection to the daemon. The PID file and the socket are
 * removed at exit only while they are still this process's own, so a gateway stopping slowly never
 * deletes the files of one started after it.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";
import {
  type ControlReply,
  type ControlRequest,
  DEFAULT_GATEWAY_PORTS,
  DEFAULT_GATEWAY_SUBNET,
  Gateway,
  GatewayControlServer,
  type GatewayMapping,
} from "../../lib/gateway/mod.ts";
import { dialStream, IpcClient } from "../../lib/ipc/mod.ts";
import type { Logger } from "../../lib/log.ts";
import { formatAddress, parseAddress } from "../../lib/protocol/mod.ts";
import { parseArgs, parsePort, stringFlag } from "../args.ts";
import type { CommandContext } from "../command.ts";
import { socketPath } from "../daemon_link.ts";
import { goLineLogger } from "../go_log.ts";
import { EXIT } from "../render.ts";
import { readPidFile } from "./daemon_pid.ts";
import { type GatewayFiles, gatewayFiles, runningGatewayPid } from "./gateway_files.ts";

function detail(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `--ports`: a comma list, items trimmed, each an unsigned 16-bit number (§16.1 step 2). */
export function parsePortList(text: string | undefined): number[] {
  if (text === undefined) return [...DEFAULT_GATEWAY_PORTS];
  return text.split(",").map((item) => parsePort(item.trim()));
}

/** A mapping as the commands print it. */
export function mappingRecord(mapping: GatewayMapping): { local_ip: string; pilot_addr: string } {
  return { local_ip: mapping.localIp, pilot_addr: formatAddress(mapping.address) };
}

/** Answers the control socket from the live gateway. */
function controlHandler(gateway: Gateway): (request: ControlRequest) => Promise<ControlReply> {
  const toControl = (m: GatewayMapping) => ({ localIp: m.localIp, pilotAddr: formatAddress(m.address) });
  return async (request) => {
    switch (request.op) {
      case "list":
        return { type: "mappings", mappings: gateway.list().map(toControl) };
      case "map": {
        let address;
        try {
          address = parseAddress(request.pilotAddr);
        } catch (err) {
          throw new PilotError("service_gateway_bad_address", `parse address: ${detail(err)}`);
        }
        return { type: "mapping", mapping: toControl(await gateway.map(address, request.localIp)) };
      }
      case "unmap":
        return { type: "unmapped", localIp: (await gateway.unmap(request.localIp)).localIp };
    }
  };
}

/** Resolves on the first SIGINT or SIGTERM; `dispose` removes the listeners. */
function stopSignal(): { stopped: Promise<void>; dispose(): void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  const onSignal = () => resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return {
    stopped: promise,
    dispose: () => {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    },
  };
}

/** Everything `gateway start` holds open, closed in reverse order of opening. */
class GatewayRun {
  gateway: Gateway | undefined;
  ipc: IpcClient | undefined;
  control: GatewayControlServer | undefined;
  wrotePid = false;
  readonly files: GatewayFiles;
  readonly log: Logger;

  constructor(files: GatewayFiles, log: Logger) {
    this.files = files;
    this.log = log;
  }

  async close(): Promise<void> {
    await this.control?.close();
    await this.gateway?.close();
    await this.ipc?.close();
    if (this.wrotePid && await readPidFile(this.files.pidFile) === Deno.pid) {
      await Deno.remove(this.files.pidFile).catch(() => {/* removed by `gateway stop` meanwhile */});
    }
  }
}

/** `gateway start [--subnet <cidr>] [--ports <p1,p2,…>] [<address> …]` (§16.1). */
export async function runGatewayStart(ctx: CommandContext): Promise<number> {
  const files = gatewayFiles(ctx.env);
  const running = await runningGatewayPid(files);
  if (running !== 0) {
    throw new PilotError("already_exists", `gateway is already running (pid ${running})`, {
      hint: "stop it first with: pilotctl gateway stop",
    });
  }
  const parsed = parseArgs(ctx.args);
  const subnet = stringFlag(parsed, "subnet", DEFAULT_GATEWAY_SUBNET);
  const ports = parsePortList(parsed.flags.get("ports"));
  const run = new GatewayRun(files, goLineLogger(ctx.out));
  const signals = stopSignal();
  try {
    const mappings = await open(run, ctx, subnet, ports, parsed.positionals);
    const lines = mappings.map((m) => `mapped ${m.local_ip} → ${m.pilot_addr}`);
    ctx.out.result(
      { mappings: mappings.length === 0 ? null : mappings, pid: Deno.pid, subnet },
      [...lines, "gateway running"].join("\n"),
    );
    await signals.stopped;
    return EXIT.OK;
  } finally {
    signals.dispose();
    await run.close();
  }
}

async function open(
  run: GatewayRun,
  ctx: CommandContext,
  subnet: string,
  ports: readonly number[],
  positionals: readonly string[],
): Promise<Array<{ local_ip: string; pilot_addr: string }>> {
  try {
    run.gateway = new Gateway({
      subnet,
      ports,
      logger: run.log,
      dial: (address, port, signal) => {
        if (run.ipc === undefined) return Promise.reject(new Error("not connected to the daemon"));
        return dialStream(run.ipc, address, port, { signal });
      },
    });
  } catch (err) {
    throw new PilotError("internal", `create gateway: ${detail(err)}`, { cause: err });
  }
  try {
    run.ipc = await IpcClient.connect(await socketPath(ctx.env), { logger: run.log });
  } catch (err) {
    throw new PilotError("internal", `start gateway: connect to daemon: ${detail(err)}`, { cause: err });
  }
  run.log.info("gateway connected", { subnet });
  const mappings = [];
  for (const arg of positionals) {
    let address;
    try {
      address = parseAddress(arg);
    } catch (err) {
      throw new PilotError("invalid_argument", `parse address ${arg}: ${detail(err)}`, { cause: err });
    }
    try {
      mappings.push(await run.gateway.map(address));
    } catch (err) {
      throw new PilotError("internal", `map ${arg}: ${detail(err)}`, { cause: err });
    }
  }
  try {
    await Deno.mkdir(run.files.home, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(run.files.pidFile, String(Deno.pid), { mode: 0o600 });
    run.wrotePid = true;
  } catch (err) {
    throw new PilotError("internal", `write pid file: ${detail(err)}`, { cause: err });
  }
  try {
    run.control = await GatewayControlServer.listen(run.files.socket, controlHandler(run.gateway), {
      logger: run.log,
    });
  } catch (err) {
    throw new PilotError("internal", `gateway control: listen ${run.files.socket}: ${detail(err)}`, {
      cause: err,
    });
  }
  return mappings.map(mappingRecord);
}
