/**
 * `beacon`: the standalone beacon server, with the reference binary's flags (control.md §5.3). Logs
 * "beacon listening" with the bound address once ready; stops on SIGINT/SIGTERM with status 0.
 * Unknown flags print usage and exit 2, `-h` prints usage and exits 0, start-up failures exit 1.
 *
 * @module
 */

import {
  type BeaconServer,
  type HealthServer,
  startBeacon,
  startHealthServer,
  type UdpAddr,
} from "../lib/beacon/mod.ts";
import { isPilotError } from "../lib/errors.ts";
import {
  applyConfig,
  type FlagParseResult,
  formatUsage,
  intFlag,
  listenAddress,
  loadConfigFile,
  parseGoFlags,
  splitHostPort,
  stringFlag,
} from "../lib/flags/mod.ts";
import { createLogger, parseLogLevel } from "../lib/log.ts";

/** The beacon binary's flags (control.md §5.3). */
export const BEACON_FLAGS = {
  addr: stringFlag(":9001", "UDP listen address"),
  "beacon-id": intFlag(0, "beacon ID for clustering (0 = standalone)"),
  peers: stringFlag("", "comma-separated peer beacon UDP addresses"),
  registry: stringFlag("", "registry address for dynamic peer discovery (not supported yet)"),
  health: stringFlag("", "HTTP health endpoint address (e.g. :8080)"),
  "log-level": stringFlag("info", "log level (debug, info, warn, error)"),
  "log-format": stringFlag("text", "log format (text, json)"),
  config: stringFlag("", "path to JSON config file"),
} as const;

/** Options of {@linkcode runBeacon}, for running it in-process. */
export interface RunBeaconOptions {
  /** Replaces the SIGINT/SIGTERM listeners as the stop trigger. */
  signal?: AbortSignal;
  /** Where usage and pre-logging errors go; default stderr. */
  write?: (text: string) => void;
}

/** Runs the beacon with command-line `args`; resolves to the exit status. */
export async function runBeacon(args: readonly string[], options: RunBeaconOptions = {}): Promise<number> {
  const write = options.write ?? writeStderr;
  let parsed: FlagParseResult<typeof BEACON_FLAGS>;
  try {
    parsed = parseGoFlags(BEACON_FLAGS, args);
  } catch (err) {
    if (!isPilotError(err)) throw err;
    write(`${err.message}\n${formatUsage("beacon", BEACON_FLAGS)}`);
    return 2;
  }
  if (parsed.kind === "help") {
    write(formatUsage("beacon", BEACON_FLAGS));
    return 0;
  }
  let values = parsed.values;
  if (values.config !== "") {
    try {
      values = applyConfig(BEACON_FLAGS, parsed, await loadConfigFile(values.config));
    } catch (err) {
      // Logging is not configured yet, so this is the Go log package's plain form (control.md §10.2).
      write(`${goLogTime(new Date())} ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  const log = createLogger({
    level: parseLogLevel(values["log-level"]),
    format: values["log-format"] === "json" ? "json" : "text",
  });
  let beacon: BeaconServer;
  let health: HealthServer | undefined;
  let peers: UdpAddr[];
  try {
    peers = values.peers.split(",").map((p) => p.trim()).filter((p) => p !== "").map(peerAddress);
    if (values.registry !== "") {
      log.warn("registry peer discovery is not supported, using -peers only", { registry: values.registry });
    }
    beacon = startBeacon({
      ...listenAddress(values.addr),
      beaconId: values["beacon-id"],
      peers,
      logger: log,
    });
  } catch (err) {
    log.info(`listen: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  try {
    if (values.health !== "") {
      health = startHealthServer({ ...listenAddress(values.health), healthy: () => !beacon.draining });
      log.info("health endpoint listening", { addr: hostPort(health.addr) });
    }
  } catch (err) {
    log.info(`health: ${err instanceof Error ? err.message : String(err)}`);
    await beacon.close();
    return 1;
  }
  // Listening for signals before saying "ready": a supervisor may signal as soon as it reads that line.
  const stop = stopRequested(options.signal);
  log.info("beacon listening", {
    addr: hostPort(beacon.addr),
    beacon_id: values["beacon-id"],
    peers: peers.length,
  });
  await stop;
  log.info("shutting down");
  // Draining first, so a health check during shutdown already says unhealthy.
  const closing = beacon.close();
  await health?.close();
  await closing;
  return 0;
}

function peerAddress(text: string): UdpAddr {
  const { host, port } = splitHostPort(text);
  // An empty host means "this machine" for a peer we send to.
  return { hostname: host === "" ? "127.0.0.1" : host, port };
}

function hostPort(addr: UdpAddr): string {
  return addr.hostname.includes(":") ? `[${addr.hostname}]:${addr.port}` : `${addr.hostname}:${addr.port}`;
}

/** Resolves on the first SIGINT/SIGTERM (or when `signal` aborts); later signals are ignored while stopping. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  const { promise, resolve } = Promise.withResolvers<void>();
  if (signal !== undefined) {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
    return promise;
  }
  const onSignal = () => {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    resolve();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return promise;
}

function goLogTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/**
 * Usage text and the pre-logging config error are not log records, and go to stderr as Go's flag and
 * log packages print them. (Until `cli/render.ts` offers a stderr writer, this is the one other writer.)
 */
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let offset = 0; offset < bytes.byteLength;) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

if (import.meta.main) Deno.exit(await runBeacon(Deno.args));
