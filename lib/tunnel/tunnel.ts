/**
 * The daemon's UDP tunnel (network.md §3, §4; control.md §5.4): one socket for every peer and for the
 * beacon, the send algorithm of §3.6, the receive handlers of §3.7–§3.11 and the events of §8.
 * Over 300 lines because sending and receiving share the peer state; codecs, crypto contexts, queues
 * and limiters live in their own files.
 *
 * Hot path: the receive loop reads into one reusable buffer. PILT packets are decoded in place (the
 * packet handed to `onPacket` views that buffer: valid only during the call). PILS opens and seals run
 * many at once through WebCrypto and are handed on in order ({@linkcode OrderedPipeline}); counters are
 * taken at call time, so a peer's frames leave in `send` order. A bounded, FIFO {@linkcode SendWindow}
 * is the backpressure: past it, `send` waits.
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
import { generateTunnelKeyPair, verifyPila } from "../crypto/mod.ts";
import { BeaconLink, discoverMessage, punchRequestMessage } from "../beacon/mod.ts";
import { isPilotError, PilotError } from "../errors.ts";
import { splitHostPort } from "../flags/mod.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import {
  classifyDatagram,
  decodePacket,
  decodePila,
  decodePilk,
  decodePilt,
  encodePilsHeader,
  encodePilt,
  type Packet,
  PILA_SIZE,
  PILK_SIZE,
  PILS_HEADER_SIZE,
  PILS_MIN_SIZE,
  PILT_MIN_SIZE,
} from "../protocol/mod.ts";
import {
  ENDPOINT_REFRESH_INTERVAL_MS,
  MAX_HELD_FRAMES,
  MAX_KEY_EXCHANGE_JOBS,
  MAX_OPENS_IN_FLIGHT,
  MAX_RECEIVE_FAILURES,
  MAX_SENDS_IN_FLIGHT,
  RECEIVE_BUFFER_SIZE,
} from "./constants.ts";
import {
  TUNNEL_EVENTS,
  type TunnelEventData,
  type TunnelEventHandler,
  type TunnelEventName,
} from "./events.ts";
import { type IdentityKeyLookup, IdentityKeys, ownKeyExchangeFrame } from "./key_exchange.ts";
import { OrderedPipeline } from "./ordered_pipeline.ts";
import { PeerCrypto } from "./peer_crypto.ts";
import { isRetiredKey, type PeerEntry, PeerTable, retireKey } from "./peer_table.ts";
import { PendingQueues } from "./pending_queue.ts";
import { RelayPeers, wrapForRelay } from "./relay.ts";
import { SendWindow } from "./send_window.ts";
import { type TunnelStats, TunnelStatsCounter } from "./stats.ts";
import { formatUdpAddr, sameUdpAddr, type UdpAddr, UdpEndpoint } from "../net/mod.ts";

/** How a packet reached us. */
export interface PacketInfo {
  /** True for PILS. */
  readonly encrypted: boolean;
  /** True when it came inside a beacon Relay-Deliver. */
  readonly relayed: boolean;
}

/** Receives each decoded packet; its payload may view the receive buffer: copy what you keep. */
export type PacketHandler = (packet: Packet, fromNode: number, info: PacketInfo) => void;

/** The registry `resolve` of a node: its `real_addr` as `host:port`. */
export type PeerResolver = (nodeId: number, signal: AbortSignal) => Promise<string>;

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

interface SealJob {
  readonly entry: PeerEntry;
  readonly frame: Uint8Array | undefined;
  readonly error: unknown;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface KeyExchangeProgress {
  chain: Promise<void>;
  jobs: number;
  /** PILS frames that arrived while the node's key exchange was being checked (copies). */
  held: { bytes: Uint8Array; from: UdpAddr; relayed: boolean }[];
}

interface OpenJob {
  readonly node: number;
  readonly crypto: PeerCrypto;
  readonly nonce: Uint8Array;
  readonly from: UdpAddr;
  readonly relayed: boolean;
  readonly plaintext: Uint8Array | undefined;
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
  readonly #udp: UdpEndpoint;
  readonly #encrypt: boolean;
  readonly #identity: Identity | undefined;
  readonly #keyPair: TunnelKeyPair;
  readonly #beacon: UdpAddr | undefined;
  readonly #beaconLink: BeaconLink | undefined;
  readonly #resolvePeer: PeerResolver | undefined;
  readonly #onPacket: PacketHandler;
  readonly #onEvent: TunnelEventHandler | undefined;
  readonly #log: Logger;
  readonly #plaintextFallback: boolean;
  readonly #maxOpens: number;
  readonly #now: () => number;
  readonly #abort = new AbortController();
  readonly #table = new PeerTable();
  readonly #relay = new RelayPeers();
  readonly #pending = new PendingQueues();
  readonly #identityKeys: IdentityKeys;
  readonly #window: SendWindow;
  readonly #stats = new TunnelStatsCounter();
  readonly #seals: OrderedPipeline<SealJob>;
  readonly #opens: OrderedPipeline<OpenJob>;
  readonly #jobs = new Set<Promise<void>>();
  readonly #resolving = new Map<number, Promise<PeerEntry>>();
  readonly #keyExchanges = new Map<number, KeyExchangeProgress>();
  #nodeId: number | undefined;
  #ownFrame: Uint8Array | undefined;
  #loop: Promise<void>;

  constructor(options: TunnelOptions) {
    this.#encrypt = options.encrypt ?? true;
    this.#identity = options.identity;
    this.#keyPair = options.keyPair ?? generateTunnelKeyPair();
    this.#beacon = options.beacon;
    this.#resolvePeer = options.resolvePeer;
    this.#onPacket = options.onPacket ?? (() => {});
    this.#onEvent = options.onEvent;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#plaintextFallback = options.plaintextFallback ?? true;
    this.#maxOpens = options.maxOpensInFlight ?? MAX_OPENS_IN_FLIGHT;
    this.#now = options.now ?? (() => performance.now());
    if (options.nodeId !== undefined) this.setNodeId(options.nodeId);
    this.#identityKeys = new IdentityKeys({
      lookup: options.lookupIdentityKey,
      now: this.#now,
      signal: this.#abort.signal,
    });
    this.#window = new SendWindow(options.maxSendsInFlight ?? MAX_SENDS_IN_FLIGHT);
    this.#seals = new OrderedPipeline({ deliver: (job) => this.#sendSealed(job), fail: (e) => this.#bug(e) });
    this.#opens = new OrderedPipeline({
      deliver: (job) => this.#deliverOpened(job),
      fail: (e) => this.#bug(e),
    });
    this.#udp = UdpEndpoint.bind(options.listen, {
      errorArea: "tunnel",
      bindHint: "pick a free port with -listen, or :0 for any",
    });
    if (this.#beacon !== undefined) {
      this.#beaconLink = new BeaconLink({
        beacon: this.#beacon,
        send: (bytes, to) => this.#sendRaw(bytes, to, "PILP"),
        logger: this.#log,
      });
    }
    this.#loop = this.#receiveLoop();
  }

  /** The bound socket address. */
  get localAddr(): UdpAddr {
    return this.#udp.addr;
  }

  /** Our node ID, once known. */
  get nodeId(): number | undefined {
    return this.#nodeId;
  }

  /** Our X25519 public key (announced in every key exchange). */
  get publicKey(): Uint8Array {
    return new Uint8Array(this.#keyPair.publicKey);
  }

  /** True when frames are encrypted with peers that answer key exchanges. */
  get encrypt(): boolean {
    return this.#encrypt;
  }

  /** True when a beacon is configured (relay fallback is possible). */
  get hasBeacon(): boolean {
    return this.#beacon !== undefined;
  }

  /** Sets our node ID after (re-)registration; key exchanges carry it from now on. */
  setNodeId(nodeId: number): void {
    if (nodeId >>> 0 !== nodeId) throw new PilotError("tunnel_bad_node_id", `node id ${nodeId} is not a u32`);
    if (nodeId !== this.#nodeId) this.#ownFrame = undefined;
    this.#nodeId = nodeId;
  }

  /** Sends Discover with our node ID to the beacon from the tunnel socket (control.md §5.4 step 2). */
  async announce(): Promise<void> {
    if (this.#beacon === undefined || this.#nodeId === undefined) return;
    await this.#sendRaw(discoverMessage(this.#nodeId), this.#beacon, "discover");
  }

  /** Puts `nodeId` in relay mode (the transport's fallback after 3 unanswered SYNs, §5.4). */
  setRelay(nodeId: number): void {
    if (!this.#relay.activate(nodeId)) return;
    // A new path: key exchanges sent so far went the dead way, so offer ours again at once through it.
    const entry = this.#table.get(nodeId);
    if (entry === undefined || !this.#encrypt || entry.crypto !== undefined) return;
    entry.backoff.reset();
    this.#sendKeyExchange(entry, true);
  }

  /** Takes `nodeId` out of relay mode (see relay.ts on Q22). */
  clearRelay(nodeId: number): void {
    this.#relay.clear(nodeId);
  }

  /** True when `nodeId` is in relay mode. */
  isRelay(nodeId: number): boolean {
    return this.#relay.has(nodeId);
  }

  /** Forgets a peer's entry and context (trust revoked); its relay flag and identity key stay. */
  removePeer(nodeId: number): void {
    this.#table.delete(nodeId);
    this.#pending.take(nodeId);
  }

  /** The peer list for `pilotctl peers`, ordered by node ID. */
  peers(): TunnelPeerInfo[] {
    const rows: TunnelPeerInfo[] = [];
    for (const entry of this.#table.values()) {
      if (entry.endpoint === undefined && entry.crypto === undefined) continue;
      rows.push({
        nodeId: entry.nodeId,
        endpoint: entry.endpoint === undefined ? undefined : formatUdpAddr(entry.endpoint),
        encrypted: entry.crypto !== undefined,
        authenticated: entry.crypto?.authenticated ?? false,
        relay: this.#relay.has(entry.nodeId),
      });
    }
    return rows.sort((a, b) => a.nodeId - b.nodeId);
  }

  /** A snapshot of the counters. */
  stats(): TunnelStats {
    return this.#stats.snapshot({ peers: this.#table.size, pendingPeers: this.#pending.peers });
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
    if (this.#abort.signal.aborted) {
      return Promise.reject(new PilotError("tunnel_closed", "tunnel is closed"));
    }
    if (this.#nodeId === undefined) {
      return Promise.reject(
        new PilotError("tunnel_not_registered", "no node id yet", { hint: "register before sending" }),
      );
    }
    const entry = this.#table.get(nodeId);
    if (entry?.endpoint !== undefined) return this.#sendTo(entry, packet);
    return this.#resolveThenSend(nodeId, packet);
  }

  async #resolveThenSend(nodeId: number, packet: Uint8Array): Promise<void> {
    const entry = await this.#entryForSend(nodeId);
    return this.#sendTo(entry, packet);
  }

  #entryForSend(nodeId: number): Promise<PeerEntry> {
    const resolver = this.#resolvePeer;
    if (resolver === undefined) {
      return Promise.reject(new PilotError("tunnel_no_tunnel", `no tunnel to node ${nodeId}`));
    }
    const running = this.#resolving.get(nodeId);
    if (running !== undefined) return running;
    const resolving = this.#track(
      (async () => {
        let addr: UdpAddr;
        try {
          const { host, port } = splitHostPort(await resolver(nodeId, this.#abort.signal));
          addr = { hostname: host === "" ? "127.0.0.1" : host, port };
        } catch (cause) {
          const detail = cause instanceof Error ? cause.message : String(cause);
          throw new PilotError("tunnel_resolve_failed", `resolve node ${nodeId}: ${detail}`, { cause });
        }
        if (this.#abort.signal.aborted) throw new PilotError("tunnel_closed", "tunnel is closed");
        const entry = this.#table.getOrCreate(nodeId);
        if (entry === undefined) {
          throw new PilotError("tunnel_table_full", `no tunnel to node ${nodeId}: peer table is full`);
        }
        if (this.#beacon !== undefined && this.#nodeId !== undefined) {
          this.#background(
            this.#sendRaw(punchRequestMessage(this.#nodeId, nodeId), this.#beacon, "punch_request"),
          );
        }
        entry.resolved = addr;
        if (entry.endpoint === undefined) {
          entry.endpoint = addr;
          if (this.#encrypt && entry.crypto === undefined) this.#sendKeyExchange(entry, true);
        }
        return entry;
      })().finally(() => this.#resolving.delete(nodeId)),
    );
    this.#resolving.set(nodeId, resolving);
    return resolving;
  }

  #sendTo(entry: PeerEntry, packet: Uint8Array): Promise<void> {
    if (!this.#encrypt) return this.#output(entry, encodePilt(packet), "PILT");
    if (entry.crypto !== undefined) return this.#seal(entry, packet);
    // §3.6 step 5: key exchange, queue, and (Q7) the plaintext copy.
    this.#sendKeyExchange(entry, true);
    const outcome = this.#pending.push(entry.nodeId, packet.slice());
    if (outcome !== "queued") this.#stats.drop(`pending_${outcome}`);
    if (this.#plaintextFallback) return this.#output(entry, encodePilt(packet), "PILT");
    return Promise.resolve();
  }

  #seal(entry: PeerEntry, packet: Uint8Array): Promise<void> {
    if (this.#window.tryAcquire()) return this.#startSeal(entry, packet);
    return this.#window.acquire().then(() => this.#startSeal(entry, packet));
  }

  // Holds one window slot, released when the UDP send settles.
  #startSeal(entry: PeerEntry, packet: Uint8Array): Promise<void> {
    const crypto = entry.crypto;
    if (crypto === undefined || this.#abort.signal.aborted) {
      this.#window.release();
      return Promise.reject(new PilotError("tunnel_no_tunnel", `no tunnel to node ${entry.nodeId}`));
    }
    const sealing = crypto.seal(packet);
    return new Promise<void>((resolve, reject) => {
      this.#seals.push(sealing.then(
        (sealed) => {
          const frame = new Uint8Array(PILS_HEADER_SIZE + sealed.sealed.byteLength);
          encodePilsHeader(this.#nodeId ?? 0, sealed.nonce, frame);
          frame.set(sealed.sealed, PILS_HEADER_SIZE);
          return { entry, frame, error: undefined, resolve, reject };
        },
        (error) => ({ entry, frame: undefined, error, resolve, reject }),
      ));
    });
  }

  #sendSealed(job: SealJob): void {
    if (job.frame === undefined) {
      this.#window.release();
      job.reject(job.error);
      return;
    }
    this.#output(job.entry, job.frame, "PILS").then(job.resolve, job.reject).finally(() =>
      this.#window.release()
    );
  }

  #output(entry: PeerEntry, frame: Uint8Array, kind: "PILT" | "PILS" | "PILA" | "PILK"): Promise<void> {
    if (this.#relay.has(entry.nodeId) && this.#beacon !== undefined && this.#nodeId !== undefined) {
      let wrapped: Uint8Array;
      try {
        wrapped = wrapForRelay(this.#nodeId, entry.nodeId, frame);
      } catch (err) {
        return Promise.reject(err); // a frame too large to wrap: the caller's promise says so
      }
      return this.#sendRaw(wrapped, this.#beacon, "relay");
    }
    if (entry.endpoint === undefined) {
      return Promise.reject(new PilotError("tunnel_no_address", `no address for node ${entry.nodeId}`));
    }
    return this.#sendRaw(frame, entry.endpoint, kind);
  }

  #sendRaw(bytes: Uint8Array, to: UdpAddr, kind: Parameters<TunnelStatsCounter["sent"]>[0]): Promise<void> {
    this.#stats.sent(kind);
    return this.#udp.send(bytes, to);
  }

  /** Sends our key exchange to `entry`; `limited` applies the Q21/Q10 backoff. */
  #sendKeyExchange(entry: PeerEntry, limited: boolean): void {
    if (this.#nodeId === undefined) return;
    if (limited && !entry.backoff.take(this.#now())) {
      this.#stats.drop("key_exchange_rate_limited");
      return;
    }
    this.#ownFrame ??= ownKeyExchangeFrame(this.#nodeId, this.#keyPair, this.#identity);
    this.#background(this.#output(entry, this.#ownFrame, this.#identity === undefined ? "PILK" : "PILA"));
  }

  // --- receiving ---

  async #receiveLoop(): Promise<void> {
    const buffer = new Uint8Array(RECEIVE_BUFFER_SIZE);
    let failures = 0;
    while (!this.#abort.signal.aborted) {
      let bytes: Uint8Array;
      let from: UdpAddr;
      try {
        [bytes, from] = await this.#udp.receive(buffer);
        failures = 0;
      } catch (err) {
        if (this.#abort.signal.aborted || this.#udp.closed) break;
        if (++failures >= MAX_RECEIVE_FAILURES) {
          this.#log.error("tunnel receive failed repeatedly, stopping", { error: String(err) });
          break;
        }
        continue;
      }
      try {
        // Everything that outlives this turn copies what it needs, except beacon handling, awaited here.
        const beacon = this.#dispatch(bytes, from, false);
        if (beacon !== undefined) await beacon;
        if (this.#opens.size >= this.#maxOpens) await this.#opens.room(this.#maxOpens);
      } catch (err) {
        this.#bug(err);
      }
    }
  }

  #dispatch(bytes: Uint8Array, from: UdpAddr, relayed: boolean): Promise<void> | undefined {
    const kind = classifyDatagram(bytes);
    this.#stats.received(kind);
    switch (kind) {
      case "ignore":
        this.#stats.drop("unknown_magic");
        return undefined;
      case "beacon":
        if (relayed) {
          this.#stats.drop("relayed_beacon");
          return undefined;
        }
        return this.#onBeacon(bytes, from);
      case "PILT":
        this.#onPilt(bytes, from, relayed);
        return undefined;
      case "PILS":
        this.#onPils(bytes, from, relayed);
        return undefined;
      case "PILK":
      case "PILA":
        this.#onKeyExchange(kind, bytes, from, relayed);
        return undefined;
      case "PILP":
        this.#log.debug("tunnel punch received", { from: formatUdpAddr(from) });
        return undefined;
      default: {
        const never: never = kind;
        throw new Error(`unhandled datagram kind ${never}`);
      }
    }
  }

  #onPilt(bytes: Uint8Array, from: UdpAddr, relayed: boolean): void {
    if (bytes.byteLength < PILT_MIN_SIZE) return this.#stats.drop("short_frame");
    let packet: Packet;
    try {
      packet = decodePacket(decodePilt(bytes));
    } catch (err) {
      return this.#dropError(err, "bad_packet");
    }
    const node = packet.src.node;
    const entry = this.#learn(node, from, relayed);
    if (entry !== undefined && !relayed) this.#checkPlaintextEndpoint(entry, from);
    this.#deliver(packet, node, { encrypted: false, relayed });
  }

  #onPils(bytes: Uint8Array, from: UdpAddr, relayed: boolean): void {
    if (bytes.byteLength < PILS_MIN_SIZE) return this.#stats.drop("short_frame");
    if (!this.#encrypt) return this.#stats.drop("encryption_off");
    const node = ((bytes[4] << 24) | (bytes[5] << 16) | (bytes[6] << 8) | bytes[7]) >>> 0;
    const progress = this.#keyExchanges.get(node);
    if (progress !== undefined) {
      if (progress.held.length >= MAX_HELD_FRAMES) return this.#stats.drop("held_overflow");
      progress.held.push({ bytes: bytes.slice(), from, relayed });
      return;
    }
    const entry = this.#table.get(node);
    const crypto = entry?.crypto;
    if (entry === undefined || crypto === undefined) {
      this.#stats.drop("no_context");
      // Q10: a peer we know but cannot decrypt has probably restarted: offer our key.
      if (entry?.endpoint !== undefined) this.#sendKeyExchange(entry, true);
      return;
    }
    const nonce = bytes.subarray(8, PILS_HEADER_SIZE);
    const verdict = crypto.replay.check(nonce);
    if (verdict !== "ok") return this.#replayed(node, nonce, verdict);
    const nonceCopy = nonce.slice();
    const opening = crypto.open(nonce, bytes.subarray(PILS_HEADER_SIZE));
    this.#opens.push(opening.then(
      (plaintext) => ({ node, crypto, nonce: nonceCopy, from, relayed, plaintext }),
      () => ({ node, crypto, nonce: nonceCopy, from, relayed, plaintext: undefined }),
    ));
  }

  #deliverOpened(job: OpenJob): void {
    const entry = this.#table.get(job.node);
    if (job.plaintext === undefined) {
      this.#stats.drop("auth_failed");
      // Q10 again: the peer may hold a key we no longer share.
      if (entry?.endpoint !== undefined) this.#sendKeyExchange(entry, true);
      return;
    }
    const verdict = job.crypto.replay.accept(job.nonce);
    if (verdict !== "ok") return this.#replayed(job.node, job.nonce, verdict);
    let packet: Packet;
    try {
      packet = decodePacket(job.plaintext);
    } catch (err) {
      return this.#dropError(err, "bad_packet");
    }
    if (packet.src.node !== job.node) return this.#stats.drop("source_mismatch"); // Q23
    // Q13 (encrypted): the endpoint follows authenticated traffic, which cannot be forged off-path.
    if (entry !== undefined && entry.crypto === job.crypto && !job.relayed && entry.endpoint !== undefined) {
      if (!sameUdpAddr(entry.endpoint, job.from)) entry.endpoint = job.from;
    }
    this.#learn(job.node, job.from, job.relayed);
    this.#deliver(packet, job.node, { encrypted: true, relayed: job.relayed });
  }

  #replayed(node: number, nonce: Uint8Array, verdict: string): void {
    this.#stats.drop(`replay_${verdict}`);
    const counter = Number(new DataView(nonce.buffer, nonce.byteOffset, 12).getBigUint64(4));
    this.#emit(TUNNEL_EVENTS.nonceReplay, { peer_node_id: node, counter });
  }

  #deliver(packet: Packet, node: number, info: PacketInfo): void {
    try {
      this.#onPacket(packet, node, info);
    } catch (err) {
      this.#log.error("tunnel packet handler failed", { error: String(err), node });
    }
  }

  /** §3.5 row 2: learns a peer from a decoded packet; returns its entry when it has an endpoint. */
  #learn(node: number, from: UdpAddr, relayed: boolean): PeerEntry | undefined {
    const existing = this.#table.get(node);
    if (existing?.endpoint !== undefined) return existing;
    // Encryption mode learns only nodes that proved a key (spoofed sources stay out).
    if (this.#encrypt && existing?.crypto === undefined) return undefined;
    const entry = existing ?? this.#table.getOrCreate(node);
    if (entry === undefined) {
      this.#stats.drop("peer_table_full");
      return undefined;
    }
    const endpoint = relayed && this.#beacon !== undefined ? this.#beacon : from;
    entry.endpoint = endpoint;
    this.#emit(TUNNEL_EVENTS.peerAdded, { peer_node_id: node, endpoint: formatUdpAddr(endpoint) });
    if (this.#encrypt) this.#sendKeyExchange(entry, true);
    return entry;
  }

  /** Q13 (plaintext): moves the endpoint to a new source only when the registry agrees. */
  #checkPlaintextEndpoint(entry: PeerEntry, from: UdpAddr): void {
    if (this.#encrypt || this.#resolvePeer === undefined || sameUdpAddr(entry.endpoint, from)) return;
    const now = this.#now();
    if (now - entry.lastEndpointCheck < ENDPOINT_REFRESH_INTERVAL_MS) return;
    entry.lastEndpointCheck = now;
    const resolver = this.#resolvePeer;
    void this.#track((async () => {
      try {
        const { host, port } = splitHostPort(await resolver(entry.nodeId, this.#abort.signal));
        entry.resolved = { hostname: host, port };
      } catch {
        // No answer (private node, registry down): the endpoint simply stays where it is.
        this.#stats.drop("endpoint_check_failed");
        return;
      }
      if (sameUdpAddr(entry.resolved, from)) {
        this.#log.info("tunnel peer endpoint moved", { node: entry.nodeId, endpoint: formatUdpAddr(from) });
        entry.endpoint = from;
      }
    })());
  }

  #onKeyExchange(kind: "PILK" | "PILA", bytes: Uint8Array, from: UdpAddr, relayed: boolean): void {
    if (bytes.byteLength < (kind === "PILA" ? PILA_SIZE : PILK_SIZE)) return this.#stats.drop("short_frame");
    if (!this.#encrypt) return this.#stats.drop("encryption_off");
    if (this.#jobs.size >= MAX_KEY_EXCHANGE_JOBS) return this.#stats.drop("key_exchange_busy");
    const copy = bytes.slice(0, kind === "PILA" ? PILA_SIZE : PILK_SIZE);
    const node = ((copy[4] << 24) | (copy[5] << 16) | (copy[6] << 8) | copy[7]) >>> 0;
    if (node === this.#nodeId) return this.#stats.drop("own_node_id");
    // One node's key exchanges run one after another, in arrival order; PILS frames from that node
    // wait meanwhile, since the context they need may be the one being made (a lookup can take a while).
    let progress = this.#keyExchanges.get(node);
    if (progress === undefined) {
      progress = { chain: Promise.resolve(), jobs: 0, held: [] };
      this.#keyExchanges.set(node, progress);
    }
    const state = progress;
    state.jobs++;
    const next = state.chain.then(() => this.#handleKeyExchange(kind, copy, from, relayed));
    state.chain = next.catch(() => {}).finally(() => {
      if (--state.jobs > 0) return;
      this.#keyExchanges.delete(node);
      for (const held of state.held) this.#onPils(held.bytes, held.from, held.relayed);
    });
    this.#background(this.#track(next));
  }

  async #handleKeyExchange(
    kind: "PILK" | "PILA",
    bytes: Uint8Array,
    from: UdpAddr,
    relayed: boolean,
  ): Promise<void> {
    const pila = kind === "PILA" ? decodePila(bytes) : undefined;
    const { senderNode: node, x25519Public } = pila ?? decodePilk(bytes);
    let authenticated = false;
    if (pila !== undefined) {
      // Cheap filter first: a frame that does not verify under its own key is garbage, not worth a lookup.
      if (!verifyPila(pila.ed25519Public, pila)) return this.#stats.drop("pila_bad_signature");
      const answer = await this.#identityKeys.get(node);
      if (answer.state !== "known") return this.#stats.drop(`pila_key_${answer.state}`);
      if (!verifyPila(answer.key, pila)) {
        const fresh = await this.#identityKeys.refresh(node); // Q12
        if (fresh === undefined || !verifyPila(fresh, pila)) return this.#stats.drop("pila_wrong_key");
      }
      authenticated = true;
    } else if (this.#identity !== undefined) {
      const answer = await this.#identityKeys.get(node);
      if (answer.state !== "none") {
        // §3.7 PILK step 1: the node must authenticate; offer ours to its known endpoint.
        this.#stats.drop(answer.state === "known" ? "pilk_refused" : "pilk_lookup_failed");
        const known = this.#table.get(node);
        if (known?.endpoint !== undefined) this.#sendKeyExchange(known, true);
        return;
      }
    }
    if (this.#abort.signal.aborted) return;
    const entry = this.#table.getOrCreate(node);
    if (entry === undefined) return this.#stats.drop("peer_table_full");
    if (isRetiredKey(entry, x25519Public)) return this.#stats.drop("retired_key"); // Q11
    const previous = entry.crypto;
    const sameKey = previous?.sameKey(x25519Public) ?? false;
    let crypto: PeerCrypto;
    if (previous !== undefined && sameKey) {
      crypto = previous; // Q9: keep the counter running, see the module note
      crypto.authenticated ||= authenticated;
    } else {
      try {
        crypto = PeerCrypto.derive(this.#keyPair, x25519Public, { authenticated });
      } catch (err) {
        return this.#dropError(err, "bad_peer_key");
      }
      if (previous !== undefined) retireKey(entry, previous.peerX25519);
    }
    entry.crypto = crypto;
    if (pila !== undefined) this.#identityKeys.remember(node, pila.ed25519Public);
    if (!relayed && (!sameKey || entry.endpoint === undefined || sameUdpAddr(from, entry.resolved))) {
      entry.endpoint = from; // Q11: only a new key, a first contact or the registry's address moves it
    }
    entry.backoff.reset();
    this.#emit(TUNNEL_EVENTS.established, {
      peer_node_id: node,
      authenticated: crypto.authenticated,
      relay: this.#relay.has(node),
      rekeyed: previous !== undefined,
    });
    if (!sameKey) this.#sendKeyExchange(entry, false); // the reply rule that prevents ping-pong
    for (const packet of this.#pending.take(node)) this.#background(this.#seal(entry, packet));
  }

  async #onBeacon(bytes: Uint8Array, from: UdpAddr): Promise<void> {
    const link = this.#beaconLink;
    if (link === undefined || this.#beacon === undefined || !sameUdpAddr(from, this.#beacon)) {
      this.#stats.drop("beacon_untrusted_source");
      return;
    }
    const delivery = await link.handleDatagram(bytes, from);
    if (delivery === undefined) return;
    const sender = delivery.senderId;
    if (this.#relay.activate(sender)) this.#emit(TUNNEL_EVENTS.relayActivated, { peer_node_id: sender });
    const entry = this.#table.getOrCreate(sender);
    if (entry !== undefined && entry.endpoint === undefined) entry.endpoint = this.#beacon;
    const frame = delivery.frame;
    if (frame.byteLength < 4) return;
    const kind = classifyDatagram(frame);
    if (kind === "PILP" || kind === "ignore" || kind === "beacon") {
      this.#stats.drop("relayed_other");
      return;
    }
    this.#dispatch(frame, from, true);
  }

  // --- plumbing ---

  #emit<N extends TunnelEventName>(name: N, data: TunnelEventData[N]): void {
    if (this.#onEvent === undefined) return;
    try {
      this.#onEvent(name, data);
    } catch (err) {
      this.#log.error("tunnel event handler failed", { event: name, error: String(err) });
    }
  }

  #dropError(err: unknown, fallback: string): void {
    if (!isPilotError(err)) throw err;
    this.#stats.drop(`${fallback}:${err.code}`);
  }

  #bug(err: unknown): void {
    this.#log.error("tunnel internal error", {
      error: err instanceof Error ? err.stack ?? err.message : String(err),
    });
  }

  #track<T>(job: Promise<T>): Promise<T> {
    const settled: Promise<void> = job.then(() => {}, () => {});
    this.#jobs.add(settled);
    void settled.then(() => this.#jobs.delete(settled));
    return job;
  }

  /** Runs a send whose failure only counts (its caller is not waiting). */
  #background(job: Promise<void>): void {
    job.catch((err) => {
      if (isPilotError(err)) this.#stats.drop(`send:${err.code}`);
      else this.#bug(err);
    });
  }

  /** Stops receiving, lets sends in flight settle, closes the socket. Safe to call twice. */
  async close(): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#abort.abort();
      this.#window.close();
      // Bounded: each round waits for work that was already running when it started.
      for (
        let round = 0;
        round < 4 && (this.#jobs.size > 0 || this.#seals.size > 0 || this.#opens.size > 0);
        round++
      ) {
        await Promise.allSettled([...this.#jobs]);
        await this.#seals.drained();
        await this.#opens.drained();
      }
      await this.#udp.settled();
      this.#udp.close();
    }
    await this.#loop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
