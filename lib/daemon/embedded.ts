/**
 * The embedded default: a daemon started without `-registry` runs a registry and a beacon in its own
 * process, on loopback, so one command gives a working network on one machine and a second daemon can
 * join it with `-registry`/`-beacon`. They take the reference's default ports (control.md §2: 9000 and
 * 9001) or, when those are taken (another node already embeds them), the next free ones.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type BeaconServer, startBeacon } from "../beacon/mod.ts";
import { type RunningRegistry, startRegistry } from "../registry/mod.ts";

/** The reference's registry port (control.md §2). */
export const EMBEDDED_REGISTRY_PORT = 9000;
/** The reference's beacon port (control.md §2). */
export const EMBEDDED_BEACON_PORT = 9001;
/** How many ports past the default are tried before giving up. */
const PORT_ATTEMPTS = 64;
const LOOPBACK = "127.0.0.1";

/** The in-process servers of a node. */
export interface EmbeddedServers extends AsyncDisposable {
  registry: RunningRegistry;
  beacon: BeaconServer;
  /** `host:port` of the registry, as other daemons pass it to `-registry`. */
  registryAddress: string;
  /** `host:port` of the beacon, as other daemons pass it to `-beacon`. */
  beaconAddress: string;
  close(): Promise<void>;
}

/** Options of {@linkcode startEmbeddedServers}. */
export interface EmbeddedOptions {
  /** Folder of the registry's KV file (inside the pilot home, so a restart keeps the directory). */
  dataDir: string;
  logger: Logger;
  /** First registry port to try; tests pass 0 for an ephemeral one. */
  registryPort?: number;
  /** First beacon port to try; tests pass 0 for an ephemeral one. */
  beaconPort?: number;
}

/**
 * Starts the embedded registry and beacon on loopback.
 *
 * @example
 * ```ts ignore
 * await using servers = await startEmbeddedServers({ dataDir: "/tmp/x", logger, registryPort: 0, beaconPort: 0 });
 * ```
 */
export async function startEmbeddedServers(options: EmbeddedOptions): Promise<EmbeddedServers> {
  const registry = await firstFreePort(
    options.registryPort ?? EMBEDDED_REGISTRY_PORT,
    (port) =>
      startRegistry({
        addr: `${LOOPBACK}:${port}`,
        dataDir: options.dataDir,
        logger: options.logger.child({ component: "registry" }),
      }),
  );
  let beacon: BeaconServer;
  try {
    // The registry may have taken the beacon's default port when 9000 was busy; the search skips it.
    beacon = await firstFreePort(options.beaconPort ?? EMBEDDED_BEACON_PORT, (port) =>
      Promise.resolve(
        startBeacon({ hostname: LOOPBACK, port, logger: options.logger.child({ component: "beacon" }) }),
      ));
  } catch (err) {
    await registry.close();
    throw err;
  }
  const close = async () => {
    await beacon.close();
    await registry.close();
  };
  return {
    registry,
    beacon,
    registryAddress: registry.address,
    beaconAddress: `${beacon.addr.hostname}:${beacon.addr.port}`,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function firstFreePort<T>(first: number, start: (port: number) => Promise<T>): Promise<T> {
  const attempts = first === 0 ? 1 : PORT_ATTEMPTS;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start(first === 0 ? 0 : first + i);
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse) && !isAddrInUseCause(err)) throw err;
      lastError = err;
    }
  }
  throw new PilotError("config_port_busy", `no free port in ${first}..${first + attempts - 1}`, {
    hint: "stop the other node, or give -registry/-beacon addresses of a running registry and beacon",
    cause: lastError,
  });
}

function isAddrInUseCause(err: unknown): boolean {
  return err instanceof Error && err.cause instanceof Deno.errors.AddrInUse;
}
