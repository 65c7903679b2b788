/**
 * lib/tunnel: the daemon's UDP tunnel (network.md §3, §4; control.md §5.4). One socket carries PILT,
 * PILS, PILK/PILA, PILP and the beacon messages; {@linkcode Tunnel} runs the send algorithm, the key
 * exchange, replay protection, relay mode and the events of §8. The quirk decisions are listed in
 * tunnel.ts.
 *
 * @example
 * ```ts
 * import { Tunnel } from "./mod.ts";
 * await using tunnel = new Tunnel({ listen: { hostname: "127.0.0.1", port: 0 }, nodeId: 1 });
 * if (tunnel.localAddr.port === 0 || tunnel.peers().length !== 0) throw new Error("bound, no peers");
 * ```
 *
 * @module
 */

export {
  type PacketHandler,
  type PacketInfo,
  type PeerResolver,
  Tunnel,
  type TunnelOptions,
  type TunnelPeerInfo,
} from "./tunnel.ts";
export * from "./events.ts";
export * from "./constants.ts";
export type { SentKind, TunnelStats } from "./stats.ts";
export type { IdentityKeyLookup } from "./key_exchange.ts";
// The socket moved to lib/net; re-exported so callers of the tunnel need no second import.
export { formatUdpAddr, sameUdpAddr, type UdpAddr, UdpEndpoint } from "../net/mod.ts";
