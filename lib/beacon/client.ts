/**
 * The daemon's side of the beacon (control.md §5.4) that does not need the tunnel itself: the start-up
 * endpoint discovery from a temporary socket, the builders of the messages the tunnel socket sends
 * (discover, punch request, relay; the tunnel sends them itself), and {@linkcode BeaconLink}, which
 * handles the beacon messages that socket receives.
 *
 * @module
 */

import { isPilotError, PilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import {
  type BeaconEndpoint,
  type BeaconMessage,
  decodeBeaconMessage,
  encodeBeaconMessage,
  formatEndpoint,
  formatIp,
} from "../protocol/beacon_message.ts";
import {
  DISCOVER_REPLY_BUFFER,
  DISCOVER_TIMEOUT_MS,
  MAX_DISCOVER_DATAGRAMS,
  PUNCH_PACKET,
  PUNCH_PACKET_COUNT,
} from "./constants.ts";
import { formatUdpAddr, type UdpAddr, UdpEndpoint } from "../net/mod.ts";

/** Sends one datagram from the tunnel socket. `bytes` must not be reused until the promise settles. */
export type DatagramSend = (bytes: Uint8Array, to: UdpAddr) => Promise<void>;

/** The Discover the daemon sends: node id 0 at start-up, its real id afterwards. */
export function discoverMessage(nodeId: number): Uint8Array {
  return encodeBeaconMessage({ type: "discover", nodeId });
}

/** Punch-Request(own id, target) sent before dialling a peer it has no entry for. */
export function punchRequestMessage(ownId: number, targetId: number): Uint8Array {
  return encodeBeaconMessage({ type: "punch-request", requesterId: ownId, targetId });
}

/** Relay(own id, peer id, frame): the whole tunnel frame for a relay-mode peer, wrapped for the beacon. */
export function relayMessage(ownId: number, destId: number, frame: Uint8Array, out?: Uint8Array): Uint8Array {
  return encodeBeaconMessage({ type: "relay", senderId: ownId, destId, frame }, out);
}

/** Options of {@linkcode discoverEndpoint}. */
export interface DiscoverEndpointOptions {
  /** The tunnel's `-listen` address: the temporary socket binds here. */
  listen: UdpAddr;
  beacon: UdpAddr;
  /** Default {@linkcode DISCOVER_TIMEOUT_MS}. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The result of the start-up discovery: the endpoint, or why the caller must use its local address. */
export type DiscoverOutcome =
  | { readonly ok: true; readonly endpoint: BeaconEndpoint }
  | { readonly ok: false; readonly error: PilotError };

/**
 * Start-up discovery (control.md §5.4 step 1): binds a temporary socket to `listen`, sends Discover with
 * node id 0 and waits for a Discover-Reply. The socket is closed before this returns, so the tunnel may
 * bind the same address. Never throws: on failure the daemon logs "beacon discover failed, using local
 * addr" and falls back (see {@linkcode advertisedEndpoint}).
 *
 * @example
 * ```ts
 * import { discoverEndpoint, startBeacon } from "./mod.ts";
 * await using beacon = startBeacon({ hostname: "127.0.0.1", port: 0 });
 * const found = await discoverEndpoint({ listen: { hostname: "127.0.0.1", port: 0 }, beacon: beacon.addr });
 * if (!found.ok) throw found.error;
 * ```
 */
export async function discoverEndpoint(options: DiscoverEndpointOptions): Promise<DiscoverOutcome> {
  const timeoutMs = options.timeoutMs ?? DISCOVER_TIMEOUT_MS;
  let socket: UdpEndpoint;
  try {
    socket = UdpEndpoint.bind(options.listen, { errorArea: "beacon" });
  } catch (err) {
    return failed("beacon_discover_bind", err instanceof Error ? err.message : String(err), err);
  }
  let timedOut = false;
  const stop = () => socket.close(); // a pending receive then rejects, which ends the wait
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, timeoutMs);
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    if (options.signal?.aborted) return failed("beacon_discover_aborted", "discovery aborted");
    await socket.send(discoverMessage(0), options.beacon);
    const buffer = new Uint8Array(DISCOVER_REPLY_BUFFER);
    for (let i = 0; i < MAX_DISCOVER_DATAGRAMS; i++) {
      const [bytes] = await socket.receive(buffer);
      const reply = tryDecode(bytes);
      if (reply?.type === "discover-reply") return { ok: true, endpoint: reply.endpoint };
    }
    return failed("beacon_discover_failed", `no discover reply among ${MAX_DISCOVER_DATAGRAMS} datagrams`);
  } catch (err) {
    if (timedOut) {
      return failed(
        "beacon_discover_timeout",
        `no discover reply from the beacon within ${timeoutMs} ms`,
        err,
      );
    }
    if (options.signal?.aborted) return failed("beacon_discover_aborted", "discovery aborted", err);
    return failed("beacon_discover_failed", `discover: ${err}`, err);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
    stop();
  }
}

/** Hosts a beacon may report that say nothing about how peers reach us (control.md §5.4). */
const UNHELPFUL_HOSTS = new Set(["", "0.0.0.0", "::", "127.0.0.1", "::1"]);

/**
 * The endpoint to register: the discovered one, unless it is missing or a wildcard/loopback host, in
 * which case the tunnel's local address (wildcard `0.0.0.0` → `127.0.0.1`, `::` → `[::1]`).
 */
export function advertisedEndpoint(discovered: BeaconEndpoint | undefined, tunnelLocal: UdpAddr): string {
  if (discovered !== undefined && !UNHELPFUL_HOSTS.has(formatIp(discovered.ip))) {
    return formatEndpoint(discovered);
  }
  const hostname = tunnelLocal.hostname === "" || tunnelLocal.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : tunnelLocal.hostname === "::"
    ? "::1"
    : tunnelLocal.hostname;
  return formatUdpAddr({ hostname, port: tunnelLocal.port });
}

/** Options of {@linkcode BeaconLink}. */
export interface BeaconLinkOptions {
  beacon: UdpAddr;
  /** Sends from the tunnel socket (the punch packets), so the peer sees the mapping the beacon knows. */
  send: DatagramSend;
  logger?: Logger;
}

/** A Relay-Deliver for the tunnel to dispatch by the inner frame's magic (network.md §3.11). */
export interface RelayDelivery {
  readonly senderId: number;
  /** A view into the received datagram: use it before that buffer is reused. */
  readonly frame: Uint8Array;
}

/** The beacon as seen from the tunnel socket. */
export class BeaconLink {
  readonly beacon: UdpAddr;
  #send: DatagramSend;
  #log: Logger;

  constructor(options: BeaconLinkOptions) {
    this.beacon = options.beacon;
    this.#send = options.send;
    this.#log = options.logger ?? NULL_LOGGER;
  }

  /**
   * Handles a datagram from the tunnel socket whose first byte is below 0x10, whatever its source
   * (control.md §5.4 step 6). A Punch-Command is answered here with three `PILP`; a Relay-Deliver with at
   * least one byte of frame is returned for the tunnel; everything else is logged at debug and dropped.
   */
  async handleDatagram(bytes: Uint8Array, from: UdpAddr): Promise<RelayDelivery | undefined> {
    const msg = tryDecode(bytes);
    if (msg === undefined) {
      this.#log.debug("beacon message dropped", {
        from: formatUdpAddr(from),
        bytes: bytes.byteLength,
      });
      return undefined;
    }
    switch (msg.type) {
      case "punch-command": {
        const to = { hostname: formatIp(msg.endpoint.ip), port: msg.endpoint.port };
        for (let i = 0; i < PUNCH_PACKET_COUNT; i++) await this.#send(PUNCH_PACKET.slice(), to);
        return undefined;
      }
      case "relay-deliver":
        return msg.frame.byteLength > 0 ? { senderId: msg.senderId, frame: msg.frame } : undefined;
      case "discover-reply":
        this.#log.debug("beacon discover reply", { endpoint: formatEndpoint(msg.endpoint) });
        return undefined;
      default:
        this.#log.debug("beacon message ignored", { type: msg.type });
        return undefined;
    }
  }
}

function tryDecode(bytes: Uint8Array): BeaconMessage | undefined {
  try {
    return decodeBeaconMessage(bytes);
  } catch (err) {
    if (isPilotError(err)) return undefined;
    throw err;
  }
}

function failed(code: `beacon_${string}`, message: string, cause?: unknown): DiscoverOutcome {
  return {
    ok: false,
    error: new PilotError(code, message, { cause, hint: "the local address is advertised instead" }),
  };
}
