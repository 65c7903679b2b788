/**
 * The IP gateway (services.md §9): every mapping of a local IPv4 address to an overlay address gets a
 * loopback alias and a TCP listener on `<ip>:<port>` for each configured port; each accepted connection
 * is bridged to an overlay stream to `(address, same port)`. How overlay streams are opened is the
 * caller's (pilotctl dials through the daemon's IPC); this module owns listeners, aliases and bridges.
 *
 * Unlike the reference, `map` resolves only once the alias is in place and the listeners are bound, so
 * a client may connect as soon as it returns.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import { type Address, formatAddress } from "../protocol/address.ts";
import { bridgeStreams, type OverlayStream } from "./bridge.ts";
import { type Ipv4Subnet, parseSubnet } from "./ipv4.ts";
import { type LoopbackAliases, systemLoopbackAliases } from "./loopback_alias.ts";
import { type GatewayMapping, MappingTable } from "./mapping_table.ts";

/** The reference's default subnet. */
export const DEFAULT_GATEWAY_SUBNET = "10.4.0.0/16";
/** The reference's default ports, in its order. */
export const DEFAULT_GATEWAY_PORTS: readonly number[] = [80, 443, 1000, 1001, 1002, 7, 8080, 8443];
/** Bridged connections one gateway carries at once; more are closed on accept (file descriptors). */
export const MAX_GATEWAY_CONNECTIONS = 1024;

/** Opens an overlay stream to `address`:`port`; rejects when it cannot. */
export type OverlayDialer = (address: Address, port: number, signal: AbortSignal) => Promise<OverlayStream>;

/** Options of {@linkcode Gateway}. */
export interface GatewayOptions {
  /** CIDR; {@linkcode DEFAULT_GATEWAY_SUBNET} when absent. */
  subnet?: string;
  /** TCP ports to listen on per mapping; {@linkcode DEFAULT_GATEWAY_PORTS} when absent. */
  ports?: readonly number[];
  dial: OverlayDialer;
  logger?: Logger;
  /** The system's aliases unless given. */
  aliases?: LoopbackAliases;
  maxConnections?: number;
}

interface MappingState {
  readonly mapping: GatewayMapping;
  readonly listeners: Deno.TcpListener[];
  readonly abort: AbortController;
  readonly tasks: Set<Promise<void>>;
  ready: Promise<void>;
}

/** A running gateway. Close it to free listeners, aliases and bridges. */
export class Gateway implements AsyncDisposable {
  readonly subnet: Ipv4Subnet;
  readonly ports: readonly number[];
  readonly #table: MappingTable;
  readonly #dial: OverlayDialer;
  readonly #log: Logger;
  readonly #aliases: LoopbackAliases;
  readonly #maxConnections: number;
  readonly #states = new Map<string, MappingState>();
  #connections = 0;
  #closing: Promise<void> | undefined;

  /**
   * Creates a gateway with no mappings.
   *
   * @throws {PilotError} `service_gateway_bad_subnet` `parse subnet: invalid CIDR address: <s>`.
   * @example
   * ```ts ignore
   * import { Gateway } from "./gateway.ts";
   * await using gateway = new Gateway({ subnet: "127.77.0.0/16", ports: [8080], dial });
   * const { localIp } = await gateway.map({ network: 0, node: 2 }); // "127.77.0.1"
   * ```
   */
  constructor(options: GatewayOptions) {
    const text = options.subnet ?? DEFAULT_GATEWAY_SUBNET;
    try {
      this.subnet = parseSubnet(text);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new PilotError("service_gateway_bad_subnet", `parse subnet: ${detail}`, { cause: err });
    }
    this.ports = [...(options.ports ?? DEFAULT_GATEWAY_PORTS)];
    this.#table = new MappingTable(this.subnet);
    this.#dial = options.dial;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#aliases = options.aliases ?? systemLoopbackAliases({ logger: this.#log });
    this.#maxConnections = options.maxConnections ?? MAX_GATEWAY_CONNECTIONS;
  }

  /**
   * Maps `address` to `localIp` (or the next automatic IP), adds its alias and binds its listeners.
   * An address mapped already keeps its IP. Ports that cannot be bound are skipped (§9).
   *
   * @throws {PilotError} the table's errors (`IP <ip> not in subnet <cidr>`, ...).
   */
  async map(address: Address, localIp?: string): Promise<GatewayMapping> {
    this.#throwIfClosed();
    const { mapping, isNew } = this.#table.map(address, localIp);
    if (!isNew) {
      const state = this.#states.get(mapping.localIp);
      if (state !== undefined) await state.ready;
      return mapping;
    }
    const state: MappingState = {
      mapping,
      listeners: [],
      abort: new AbortController(),
      tasks: new Set(),
      ready: Promise.resolve(),
    };
    this.#states.set(mapping.localIp, state);
    state.ready = this.#open(state);
    await state.ready;
    return mapping;
  }

  /**
   * Removes the mapping of `localIp`: closes its listeners and bridged connections and its alias.
   *
   * @throws {PilotError} `service_gateway_bad_ip` `invalid IP: <s>`, `service_gateway_no_mapping`.
   */
  async unmap(localIp: string): Promise<GatewayMapping> {
    this.#throwIfClosed();
    const mapping = this.#table.unmap(localIp);
    const state = this.#states.get(mapping.localIp);
    this.#states.delete(mapping.localIp);
    if (state !== undefined) await this.#shut(state);
    return mapping;
  }

  /** Every mapping, in ascending IP order. */
  list(): GatewayMapping[] {
    return this.#table.list();
  }

  /** The ports actually bound for `localIp` (those that failed to bind are missing). */
  boundPorts(localIp: string): number[] {
    const state = this.#states.get(localIp);
    return state === undefined ? [] : state.listeners.map((listener) => listener.addr.port);
  }

  /** Closes every listener and bridge and removes the aliases. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const states = [...this.#states.values()];
      this.#states.clear();
      await Promise.all(states.map((state) => this.#shut(state)));
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #throwIfClosed(): void {
    if (this.#closing !== undefined) throw new PilotError("service_gateway_closed", "gateway is stopped");
  }

  async #open(state: MappingState): Promise<void> {
    const ip = state.mapping.localIp;
    await this.#aliases.add(ip);
    for (const port of this.ports) {
      if (state.abort.signal.aborted) return;
      let listener: Deno.TcpListener;
      try {
        listener = Deno.listen({ hostname: ip, port, transport: "tcp" });
      } catch (err) {
        // §9: a port that cannot be bound (in use, below 1024 without root, no alias) is skipped.
        this.#log.debug("gateway listen failed", { ip, port, err: String(err) });
        continue;
      }
      state.listeners.push(listener);
      track(state, this.#serve(state, listener, port));
    }
    this.#log.debug("gateway mapped", {
      local_ip: ip,
      pilot_addr: formatAddress(state.mapping.address),
      ports: state.listeners.length,
    });
  }

  async #serve(state: MappingState, listener: Deno.TcpListener, port: number): Promise<void> {
    try {
      for await (const conn of listener) {
        if (this.#connections >= this.#maxConnections) {
          this.#log.warn("gateway connection refused: too many connections", { limit: this.#maxConnections });
          conn.close();
          continue;
        }
        track(state, this.#carry(state, conn, port));
      }
    } catch (err) {
      // The listener was closed under a pending accept (unmap or stop): that is how serving ends.
      if (!state.abort.signal.aborted) this.#log.warn("gateway accept failed", { port, err: String(err) });
    }
  }

  async #carry(state: MappingState, conn: Deno.TcpConn, port: number): Promise<void> {
    this.#connections++;
    try {
      let overlay: OverlayStream;
      try {
        overlay = await this.#dial(state.mapping.address, port, state.abort.signal);
      } catch (err) {
        // §9: no overlay stream, so the TCP client sees its connection closed.
        this.#log.debug("gateway dial failed", {
          pilot_addr: formatAddress(state.mapping.address),
          port,
          err: err instanceof Error ? err.message : String(err),
        });
        conn.close();
        return;
      }
      conn.setNoDelay(true);
      await bridgeStreams(conn, overlay, state.abort.signal);
    } finally {
      this.#connections--;
    }
  }

  async #shut(state: MappingState): Promise<void> {
    state.abort.abort();
    await state.ready;
    for (const listener of state.listeners) {
      try {
        listener.close();
      } catch {
        // Closed already.
      }
    }
    // Each task ends once its listener is closed or its bridge saw the abort; no new ones start after
    // that, so a few rounds suffice (the bound only guards against a bug).
    for (let round = 0; state.tasks.size > 0 && round < 100; round++) {
      await Promise.allSettled([...state.tasks]);
    }
    await this.#aliases.remove(state.mapping.localIp);
  }
}

function track(state: MappingState, task: Promise<void>): void {
  state.tasks.add(task);
  void task.finally(() => state.tasks.delete(task));
}
