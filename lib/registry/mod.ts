/**
 * lib/registry: the registry server (control.md §3) on Deno KV, its dashboard, and the daemon's registry
 * client with its heartbeat loop (§4). {@linkcode startRegistry} is the one-call entry the CLI and the
 * daemon's embedded default use.
 *
 * @example
 * ```ts
 * import { RegistryClient, startRegistry } from "./mod.ts";
 * import { lookup, register } from "./client_calls.ts";
 * await using registry = await startRegistry({ addr: "127.0.0.1:0", store: ":memory:" });
 * await using client = await RegistryClient.connect({ address: registry.address });
 * const key = new Uint8Array(32).fill(1).toBase64();
 * const { nodeId } = await register(client, { publicKey: key, listenAddr: "127.0.0.1:4000" });
 * if ((await lookup(client, nodeId)).publicKey !== key) throw new Error("registered");
 * ```
 *
 * @module
 */

import { listenAddress } from "../flags/host_port.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import { type Dashboard, startDashboard } from "./dashboard.ts";
import { RegistryServer, type RegistryServerOptions } from "./server.ts";
import { importSnapshot, type SnapshotImport } from "./snapshot.ts";
import { RegistryStore } from "./store.ts";

export * from "./client.ts";
export * from "./client_calls.ts";
export * from "./heartbeat.ts";
export { CHALLENGES } from "./auth.ts";
export { RegistryServer, type RegistryServerOptions } from "./server.ts";
export { RegistryStore } from "./store.ts";
export { importSnapshot, type SnapshotImport } from "./snapshot.ts";
export { type Dashboard, startDashboard } from "./dashboard.ts";
export {
  decodeRegistryFrame,
  decodeRegistryFramePrefix,
  encodeRegistryFrame,
  parseRegistryMessage,
  RegistryFrameDecoderStream,
  type RegistryMessage,
  type RegistryObject,
} from "./messages.ts";
export { encodeJson, type JsonValue } from "./json.ts";
export * from "./constants.ts";

/** Options of {@linkcode startRegistry}. */
export interface StartRegistryOptions extends Omit<RegistryServerOptions, "hostname" | "port" | "logger"> {
  /** TCP listen address, `host:port`; empty host = all interfaces. Default `:9000`. */
  addr?: string;
  /** KV path or KV Connect URL, or `:memory:`. Default `<dataDir>/registry.kv`, else memory. */
  store?: string;
  /** Folder for the default KV file (created 0700 if missing). */
  dataDir?: string;
  /** A reference JSON snapshot (§3.12) to import before serving. */
  importSnapshotPath?: string;
  /** Dashboard/metrics HTTP address (§3.15); off when absent. */
  dashboardAddr?: string;
  logger?: Logger;
}

/** A running registry. */
export interface RunningRegistry extends AsyncDisposable {
  server: RegistryServer;
  store: RegistryStore;
  dashboard?: Dashboard;
  /** Bound TCP address. */
  addr: Deno.NetAddr;
  /** Bound address as `host:port`, ready for a client. */
  address: string;
  imported?: SnapshotImport;
  close(): Promise<void>;
}

/** Splits a listen address (`:9000`, `127.0.0.1:0`, `[::1]:9000`); an empty host means all interfaces. */
export const parseListenAddress: (addr: string) => { hostname: string; port: number } = listenAddress;

function formatHostPort(addr: Deno.NetAddr): string {
  const host = addr.hostname === "0.0.0.0" ? "127.0.0.1" : addr.hostname;
  return host.includes(":") ? `[${host}]:${addr.port}` : `${host}:${addr.port}`;
}

/** Opens the store, imports a snapshot if asked, binds the registry (and the dashboard if configured). */
export async function startRegistry(options: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const log = options.logger ?? NULL_LOGGER;
  const listen = parseListenAddress(options.addr ?? ":9000");
  let storePath = options.store;
  if (storePath === undefined || storePath === "") {
    if (options.dataDir !== undefined && options.dataDir !== "") {
      await Deno.mkdir(options.dataDir, { recursive: true, mode: 0o700 });
      storePath = `${options.dataDir}/registry.kv`;
    } else {
      storePath = ":memory:";
    }
  }
  const store = await RegistryStore.open(storePath);
  let server: RegistryServer | undefined;
  let dashboard: Dashboard | undefined;
  try {
    let imported: SnapshotImport | undefined;
    if (options.importSnapshotPath !== undefined && options.importSnapshotPath !== "") {
      const text = await Deno.readTextFile(options.importSnapshotPath);
      imported = await importSnapshot(store, text, Date.now());
      log.info("snapshot imported", { path: options.importSnapshotPath, ...imported });
    }
    server = new RegistryServer(store, { ...options, ...listen, logger: log });
    await server.start();
    if (options.dashboardAddr !== undefined && options.dashboardAddr !== "") {
      dashboard = await startDashboard({
        ...parseListenAddress(options.dashboardAddr),
        store,
        metrics: server.metrics,
        onlineMs: server.staleNodeMs,
        logger: log,
      });
    }
    const running = server;
    let closing: Promise<void> | undefined;
    const close = () =>
      closing ??= (async () => {
        await dashboard?.close();
        await running.close();
        store.close();
      })();
    return {
      server,
      store,
      dashboard,
      addr: server.addr,
      address: formatHostPort(server.addr),
      imported,
      close,
      [Symbol.asyncDispose]: close,
    };
  } catch (err) {
    await dashboard?.close();
    await server?.close();
    store.close();
    throw err;
  }
}
