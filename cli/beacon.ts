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
import {
  intFlag,
  listenAddress,
  parseProgramFlags,
  splitHostPort,
  stopRequested,
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
  const flags = await parseProgramFlags("beacon", BEACON_FLAGS, args, { write: options.write });
  if (flags.kind === "exit") return flags.code;
  const values = flags.values;
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
if (import.meta.main) Deno.exit(await runBeacon(Deno.args));
