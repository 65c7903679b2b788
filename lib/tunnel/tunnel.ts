/**
 * The daemon's UDP tunnel (network.md §3, §4; control.md §5.4): one socket for every peer and for the
 * beacon, and the events of §8. {@linkcode Tunnel} owns the state ({@linkcode TunnelContext}) and wires
 * the parts: the send algorithm of §3.6 (send_path.ts), the receive loop and handlers of §3.7–§3.11
 * (receive_path.ts) and received key exchanges (key_exchange_handler.ts). Codecs, crypto contexts,
 * queues and limiters live in their own files.
 *
 * Decisions on the reference's quirks (network.md §10), all invisible to a reference peer:
 * - Q7 (plaintext copy before keys are ready): kept by default (`plaintextFallback: true`), because a
 *   plaintext-only reference peer never answers a key exchange and would otherwise get nothing, and
 *   the queued copy is still sent encrypted once keys exist (the stream layer drops the duplicate).
 *   `plaintextFallback: false` holds packets in the pending queue instead (no plaintext ever leaves).
 * - Q8: the replay window is checked before and committed after a successful open (lib/crypto).
 * - Q9: the receive state follows the sender's nonce prefix (peer_crypto.ts), so a peer that re-keys
 *   alone is not dropped as a replayer. And a key exchange carrying the peer's *current* X25519 key
 *   keeps our context (counter and prefix continue) instead of rebuilding it: a monotonic counter is
 *   always accepted by the reference's window, while a restart at 1 would be dropped by it (Q9 on
 *   its side). A new key still builds a new context.
 * - Q10: an undecryptable PILS from a peer we have an entry for makes us send our key exchange
 *   (rate-limited per peer), so a restarted peer re-keys.
 * - Q11: a key exchange moves the peer's endpoint only when it brings a new X25519 key (or we had no
 *   context), or when it comes from the registry-resolved address; a replayed PILA from elsewhere then
 *   changes nothing. A key exchange with one of the peer's earlier (retired) keys is dropped, so an old
 *   PILA replayed after a restart cannot roll the context back.
 * - Q12: identity keys are re-fetched on a failed PILA check, rate-limited (key_exchange.ts).
 * - Q13: in plaintext mode, a peer seen from a new address is re-resolved with the registry (rate-
 *   limited) and moved only if the registry agrees; spoofed PILT alone never moves an endpoint. In
 *   encryption mode the endpoint follows authenticated PILS (which an off-path attacker cannot forge).
 * - Q21: key exchanges to a peer that does not answer are rate-limited (key_exchange.ts).
 * - Q22: relay mode stays sticky (relay.ts); `clearRelay` lets the daemon retry direct.
 * - Q23: a decrypted packet whose source node is not the frame's sender is dropped.
 * - PILK: a failed registry lookup refuses the PILK (the reference accepts it as "no key", which lets
 *   anyone who can disturb the lookup hijack an authenticated peer); only an explicit "no key" admits it.
 * - Beacon messages are honoured only from the configured beacon's address (the reference takes them
 *   from anyone, control.md §5.4 step 6, which lets a third party make us punch arbitrary addresses).
 *
 * @module
 */

import type { Identity, TunnelKeyPair } from "../crypto/mod.ts";
import { generateTunnelKeyPair } from "../crypto/mod.ts";
import { BeaconLink, discoverMessage } from "../beacon/mod.ts";
import { PilotError } from "../errors.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import { formatUdpAddr, type UdpAddr, UdpEndpoint } from "../net/mod.ts";
import { MAX_OPENS_IN_FLIGHT, MAX_SENDS_IN_FLIGHT } from "./constants.ts";
import { type PeerResolver, TunnelContext } from "./context.ts";
import type { TunnelEventHandler } from "./events.ts";
import type { IdentityKeyLookup } from "./key_exchange.ts";
import { KeyExchangeHandler } from "./key_exchange_handler.ts";
import { type PacketHandler, ReceivePath } from "./receive_path.ts";
import { SendPath } from "./send_path.ts";
import type { TunnelStats } from "./stats.ts";

export type { PeerResolver } from "./context.ts";
export type { PacketHandler, PacketInfo } from "./receive_path.ts";

/** Options of {@linkcode Tunnel}. */
export interface TunnelOptions {
  /** Where the socket binds; port 0 picks a free one. */
  listen: UdpAddr;
  /** Encrypt with peers that answer key exchanges (§3.9); default true. */
  encrypt?: boolean;
  /** Our Ed25519 identity: we send PILA with it, PILK without. */
  identity?: Identity;
  /** Our X25519 key pair; generated when omitted (tests inject the TV-8 keys). */
  keyPair?: TunnelKeyPair;
  /** Our node ID, when already registered; else call {@linkcode Tunnel.setNodeId} later. */
  nodeId?: number;
  /** The beacon, for announcements, punch requests and relay. */
  beacon?: UdpAddr;
  /** Resolves a node we have no entry for (the registry `resolve`). */
  resolvePeer?: PeerResolver;
  /** The registry `lookup` of a node's Ed25519 key, for PILA checks and the PILK rule. */
  lookupIdentityKey?: IdentityKeyLookup;
  onPacket?: PacketHandler;
  onEvent?: TunnelEventHandler;
  logger?: Logger;
  /** See the module note on Q7; default true. */
  plaintextFallback?: boolean;
  /** Default {@linkcode MAX_SENDS_IN_FLIGHT}. */
  maxSendsInFlight?: number;
  /** Default {@linkcode MAX_OPENS_IN_FLIGHT}. */
  maxOpensInFlight?: number;
  /** Milliseconds for rate limits; default `performance.now`. */
  now?: () => number;
}

/** One row of `pilotctl peers`. */
export interface TunnelPeerInfo {
  readonly nodeId: number;
  readonly endpoint: string | undefined;
  readonly encrypted: boolean;
  readonly authenticated: boolean;
  readonly relay: boolean;
}

/**
 * The tunnel. Binds at construction; close with `close()` or `await using`.
 *
 * @example
 * ```ts
 * import { Tunnel } from "./tunnel.ts";
 * const got: number[] = [];
 * await using b = new Tunnel({ listen: { hostname: "127.0.0.1", port: 0 }, nodeId: 2, encrypt: false,
 *   onPacket: (packet) => got.push(packet.seq) });
 * await using a = new Tunnel({ listen: { hostname: "127.0.0.1", port: 0 }, nodeId: 1, encrypt: false,
 *   resolvePeer: () => Promise.resolve(`127.0.0.1:${b.localAddr.port}`) });
 * const { encodePacket } = await import("../protocol/mod.ts");
 * await a.send(2, encodePacket({ version: 1, flags: 0, protocol: 2, src: { network: 0, node: 1 },
 *   dst: { network: 0, node: 2 }, srcPort: 1, dstPort: 2, seq: 7, ack: 0, window: 0, payload: new Uint8Array(0) }));
 * ```
 */
export class Tunnel implements AsyncDisposable {
  readonly #abort = new AbortController();
  readonly #ctx: TunnelContext;
  readonly #send: SendPath;
  readonly #receive: ReceivePath;
  #loop: Promise<void>;

  constructor(options: TunnelOptions) {
    // Checked before binding, so a bad ID leaves no socket behind.
    if (options.nodeId !== undefined) checkNodeId(options.nodeId);
    const log = options.logger ?? NULL_LOGGER;
    const udp = UdpEndpoint.bind(options.listen, {
      errorArea: "tunnel",
      bindHint: "pick a free port with -listen, or :0 for any",
    });
    const ctx = new TunnelContext({
      signal: this.#abort.signal,
      encrypt: options.encrypt ?? true,
      identity: options.identity,
      keyPair: options.keyPair ?? generateTunnelKeyPair(),
      beacon: options.beacon,
      resolvePeer: options.resolvePeer,
      onEvent: options.onEvent,
      log,
      now: options.now ?? (() => performance.now()),
    }, udp);
    ctx.nodeId = options.nodeId;
    this.#ctx = ctx;
    const send = new SendPath(ctx, {
      plaintextFallback: options.plaintextFallback ?? true,
      maxSendsInFlight: options.maxSendsInFlight ?? MAX_SENDS_IN_FLIGHT,
    });
    this.#send = send;
    const beaconLink = ctx.config.beacon === undefined ? undefined : new BeaconLink({
      beacon: ctx.config.beacon,
      send: (bytes, to) => send.sendRaw(bytes, to, "PILP"),
      logger: log,
    });
    const keyExchanges = new KeyExchangeHandler(ctx, send, {
      lookupIdentityKey: options.lookupIdentityKey,
      release: (held) => this.#receive.onPils(held.bytes, held.from, held.relayed),
    });
    this.#receive = new ReceivePath(ctx, send, keyExchanges, {
      onPacket: options.onPacket ?? (() => {}),
      maxOpensInFlight: options.maxOpensInFlight ?? MAX_OPENS_IN_FLIGHT,
      beaconLink,
    });
    this.#loop = this.#receive.run();
  }

  /** The bound socket address. */
  get localAddr(): UdpAddr {
    return this.#ctx.udp.addr;
  }

  /** Our node ID, once known. */
  get nodeId(): number | undefined {
    return this.#ctx.nodeId;
  }

  /** Our X25519 public key (announced in every key exchange). */
  get publicKey(): Uint8Array {
    return new Uint8Array(this.#ctx.config.keyPair.publicKey);
  }

  /** True when frames are encrypted with peers that answer key exchanges. */
  get encrypt(): boolean {
    return this.#ctx.config.encrypt;
  }

  /** True when a beacon is configured (relay fallback is possible). */
  get hasBeacon(): boolean {
    return this.#ctx.config.beacon !== undefined;
  }

  /** Sets our node ID after (re-)registration; key exchanges carry it from now on. */
  setNodeId(nodeId: number): void {
    checkNodeId(nodeId);
    if (nodeId !== this.#ctx.nodeId) this.#send.forgetOwnFrame();
    this.#ctx.nodeId = nodeId;
  }

  /** Sends Discover with our node ID to the beacon from the tunnel socket (control.md §5.4 step 2). */
  async announce(): Promise<void> {
    const { config: { beacon }, nodeId } = this.#ctx;
    if (beacon === undefined || nodeId === undefined) return;
    await this.#send.sendRaw(discoverMessage(nodeId), beacon, "discover");
  }

  /** Puts `nodeId` in relay mode (the transport's fallback after 3 unanswered SYNs, §5.4). */
  setRelay(nodeId: number): void {
    const ctx = this.#ctx;
    if (!ctx.relay.activate(nodeId)) return;
    // A new path: key exchanges sent so far went the dead way, so offer ours again at once through it.
    const entry = ctx.table.get(nodeId);
    if (entry === undefined || !ctx.config.encrypt || entry.crypto !== undefined) return;
    entry.backoff.reset();
    this.#send.sendKeyExchange(entry, true);
  }

  /**
   * Re-resolves `nodeId` through the registry and moves its endpoint if it changed; `true` when it did.
   * The daemon calls it before the relay fallback, so a peer that restarted on another port is found
   * directly instead of through the beacon.
   */
  refreshEndpoint(nodeId: number): Promise<boolean> {
    return this.#send.refreshEndpoint(nodeId);
  }

  /** Takes `nodeId` out of relay mode (see relay.ts on Q22). */
  clearRelay(nodeId: number): void {
    this.#ctx.relay.clear(nodeId);
  }

  /** True when `nodeId` is in relay mode. */
  isRelay(nodeId: number): boolean {
    return this.#ctx.relay.has(nodeId);
  }

  /** Forgets a peer's entry and context (trust revoked); its relay flag and identity key stay. */
  removePeer(nodeId: number): void {
    this.#ctx.table.delete(nodeId);
    this.#ctx.pending.take(nodeId);
  }

  /** The peer list for `pilotctl peers`, ordered by node ID. */
  peers(): TunnelPeerInfo[] {
    const rows: TunnelPeerInfo[] = [];
    for (const entry of this.#ctx.table.values()) {
      if (entry.endpoint === undefined && entry.crypto === undefined) continue;
      rows.push({
        nodeId: entry.nodeId,
        endpoint: entry.endpoint === undefined ? undefined : formatUdpAddr(entry.endpoint),
        encrypted: entry.crypto !== undefined,
        authenticated: entry.crypto?.authenticated ?? false,
        relay: this.#ctx.relay.has(entry.nodeId),
      });
    }
    return rows.sort((a, b) => a.nodeId - b.nodeId);
  }

  /** A snapshot of the counters. */
  stats(): TunnelStats {
    const { stats, table, pending } = this.#ctx;
    return stats.snapshot({ peers: table.size, pendingPeers: pending.peers });
  }

  /**
   * Sends one encoded packet to `nodeId` (§3.6). Resolves once the frame is handed to the socket (or
   * queued for the key exchange); `packet` must stay unchanged until then.
   *
   * @throws {PilotError} `tunnel_no_tunnel` (`no tunnel to node <N>`), `tunnel_no_address`
   *   (`no address for node <N>`), `tunnel_resolve_failed`, `tunnel_not_registered`, `tunnel_closed`,
   *   `tunnel_send_failed`.
   */
  send(nodeId: number, packet: Uint8Array): Promise<void> {
    return this.#send.send(nodeId, packet);
  }

  /** Stops receiving, lets sends in flight settle, closes the socket. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
      this.#send.close();
      const ctx = this.#ctx;
      // Bounded: each round waits for work that was already running when it started.
      for (
        let round = 0;
        round < 4 && (ctx.jobs.size > 0 || this.#send.sealsInFlight > 0 || this.#receive.opensInFlight > 0);
        round++
      ) {
        await Promise.allSettled([...ctx.jobs]);
        await this.#send.sealsDrained();
        await this.#receive.opensDrained();
      }
      await ctx.udp.settled();
      ctx.udp.close();
    }
    await this.#loop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function checkNodeId(nodeId: number): void {
  if (nodeId >>> 0 !== nodeId) throw new PilotError("tunnel_bad_node_id", `node id ${nodeId} is not a u32`);
}
