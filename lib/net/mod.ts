/**
 * lib/net: the UDP socket every area shares (the tunnel, the beacon server, the daemon's start-up
 * discovery). Below lib/beacon and lib/tunnel; it knows nothing of their messages.
 *
 * @example
 * ```ts
 * import { formatUdpAddr, UdpEndpoint } from "./mod.ts";
 * await using endpoint = UdpEndpoint.bind({ hostname: "127.0.0.1", port: 0 });
 * if (formatUdpAddr(endpoint.addr) === "127.0.0.1:0") throw new Error("a real port was picked");
 * ```
 *
 * @module
 */

export {
  type DatagramHandler,
  formatUdpAddr,
  type ReceiveEachOptions,
  sameUdpAddr,
  type UdpAddr,
  UdpEndpoint,
  type UdpEndpointOptions,
} from "./udp_endpoint.ts";
