/**
 * The tunnel's receive path (network.md §3.1, §3.5, §3.7–§3.11; control.md §5.4): the receive loop,
 * classification and dispatch by magic, PILT decoding, PILS opening with replay checks, learning
 * peers from what they send, the plaintext endpoint check (Q13), and beacon messages (punch commands
 * and Relay-Deliver, whose inner frame is dispatched again). PILK and PILA go to the
 * {@linkcode KeyExchangeHandler}.
 *
 * Hot path: the loop reads into one reusable buffer. PILT packets are decoded in place (the packet
 * handed to `onPacket` views that buffer: valid only during the call). PILS opens run many at once
 * through WebCrypto and are handed on in arrival order ({@linkcode OrderedPipeline}); past
 * `maxOpensInFlight` the loop waits before reading more.
 *
 * @module
 */

import type { BeaconLink } from "../beacon/mod.ts";
import { formatUdpAddr, sameUdpAddr, type UdpAddr } from "../net/mod.ts";
import { splitHostPort } from "../flags/mod.ts";
import {
  classifyDatagram,
  decodePacket,
  decodePilt,
  type Packet,
  PILS_HEADER_SIZE,
  PILS_MIN_SIZE,
  PILT_MIN_SIZE,
  readNonceCounter,
} from "../protocol/mod.ts";
import { ENDPOINT_REFRESH_INTERVAL_MS, MAX_RECEIVE_FAILURES, RECEIVE_BUFFER_SIZE } from "./constants.ts";
import type { TunnelContext } from "./context.ts";
import { TUNNEL_EVENTS } from "./events.ts";
import type { KeyExchangeHandler } from "./key_exchange_handler.ts";
import { OrderedPipeline } from "./ordered_pipeline.ts";
import type { PeerCrypto } from "./peer_crypto.ts";
import type { PeerEntry } from "./peer_table.ts";
import type { SendPath } from "./send_path.ts";
import { senderNodeOf } from "./sender_node.ts";

/** How a packet reached us. */
export interface PacketInfo {
  /** True for PILS. */
  readonly encrypted: boolean;
  /** True when it came inside a beacon Relay-Deliver. */
  readonly relayed: boolean;
}

/** Receives each decoded packet; its payload may view the receive buffer: copy what you keep. */
export type PacketHandler = (packet: Packet, fromNode: number, info: PacketInfo) => void;

/** Options of {@linkcode ReceivePath}. */
export interface ReceivePathOptions {
  readonly onPacket: PacketHandler;
  readonly maxOpensInFlight: number;
  /** Present when a beacon is configured. */
  readonly beaconLink: BeaconLink | undefined;
}

interface OpenJob {
  readonly node: number;
  readonly crypto: PeerCrypto;
  readonly nonce: Uint8Array;
  readonly from: UdpAddr;
  readonly relayed: boolean;
  readonly plaintext: Uint8Array | undefined;
}

/** Receiving, from the socket to `onPacket`. */
export class ReceivePath {
  readonly #ctx: TunnelContext;
  readonly #send: SendPath;
  readonly #keyExchanges: KeyExchangeHandler;
  readonly #onPacket: PacketHandler;
  readonly #maxOpens: number;
  readonly #beaconLink: BeaconLink | undefined;
  readonly #opens: OrderedPipeline<OpenJob>;

  constructor(
    ctx: TunnelContext,
    send: SendPath,
    keyExchanges: KeyExchangeHandler,
    options: ReceivePathOptions,
  ) {
    this.#ctx = ctx;
    this.#send = send;
    this.#keyExchanges = keyExchanges;
    this.#onPacket = options.onPacket;
    this.#maxOpens = options.maxOpensInFlight;
    this.#beaconLink = options.beaconLink;
    this.#opens = new OrderedPipeline({
      deliver: (job) => this.#deliverOpened(job),
      fail: (e) => ctx.bug(e),
    });
  }

  /** Opens started and not yet handed on. */
  get opensInFlight(): number {
    return this.#opens.size;
  }

  /** Resolves once every open started so far is handed on. */
  opensDrained(): Promise<void> {
    return this.#opens.drained();
  }

  /** Receives until the tunnel closes; resolves when the loop has ended. */
  run(): Promise<void> {
    const ctx = this.#ctx;
    return ctx.udp.receiveEach(new Uint8Array(RECEIVE_BUFFER_SIZE), (bytes, from) => {
      ctx.stats.bytesReceived(bytes.byteLength);
      // Everything that outlives this turn copies what it needs, except beacon handling, awaited here.
      const beacon = this.#dispatch(bytes, from, false);
      if (beacon === undefined && this.#opens.size < this.#maxOpens) return undefined;
      return this.#catchUp(beacon);
    }, {
      signal: ctx.config.signal,
      maxFailures: MAX_RECEIVE_FAILURES,
      onGiveUp: (err) =>
        ctx.config.log.error("tunnel receive failed repeatedly, stopping", { error: String(err) }),
      onHandlerError: (err) => ctx.bug(err),
    });
  }

  async #catchUp(beacon: Promise<void> | undefined): Promise<void> {
    if (beacon !== undefined) await beacon;
    if (this.#opens.size >= this.#maxOpens) await this.#opens.room(this.#maxOpens);
  }

  #dispatch(bytes: Uint8Array, from: UdpAddr, relayed: boolean): Promise<void> | undefined {
    const kind = classifyDatagram(bytes);
    const stats = this.#ctx.stats;
    stats.received(kind);
    switch (kind) {
      case "ignore":
        stats.drop("unknown_magic");
        return undefined;
      case "beacon":
        if (relayed) {
          stats.drop("relayed_beacon");
          return undefined;
        }
        return this.#onBeacon(bytes, from);
      case "PILT":
        this.#onPilt(bytes, from, relayed);
        return undefined;
      case "PILS":
        this.onPils(bytes, from, relayed);
        return undefined;
      case "PILK":
      case "PILA":
        this.#keyExchanges.receive(kind, bytes, from, relayed);
        return undefined;
      case "PILP":
        this.#ctx.config.log.debug("tunnel punch received", { from: formatUdpAddr(from) });
        return undefined;
      default: {
        const never: never = kind;
        throw new Error(`unhandled datagram kind ${never}`);
      }
    }
  }

  #onPilt(bytes: Uint8Array, from: UdpAddr, relayed: boolean): void {
    if (bytes.byteLength < PILT_MIN_SIZE) return this.#ctx.stats.drop("short_frame");
    let packet: Packet;
    try {
      packet = decodePacket(decodePilt(bytes));
    } catch (err) {
      return this.#ctx.dropError(err, "bad_packet");
    }
    const node = packet.src.node;
    const entry = this.#learn(node, from, relayed);
    if (entry !== undefined && !relayed) this.#checkPlaintextEndpoint(entry, from);
    this.#deliver(packet, node, { encrypted: false, relayed });
  }

  /** Takes a PILS frame (also a held one, once its node's key exchange is done). */
  onPils(bytes: Uint8Array, from: UdpAddr, relayed: boolean): void {
    const ctx = this.#ctx;
    if (bytes.byteLength < PILS_MIN_SIZE) return ctx.stats.drop("short_frame");
    if (!ctx.config.encrypt) return ctx.stats.drop("encryption_off");
    const node = senderNodeOf(bytes);
    if (this.#keyExchanges.hold(node, bytes, from, relayed)) return;
    const entry = ctx.table.get(node);
    const crypto = entry?.crypto;
    if (entry === undefined || crypto === undefined) {
      ctx.stats.drop("no_context");
      // Q10: a peer we know but cannot decrypt has probably restarted: offer our key. A peer we do
      // not know at all is probably one that still holds a key from our previous run.
      if (entry?.endpoint !== undefined) this.#send.sendKeyExchange(entry, true);
      else if (entry === undefined && !relayed) this.#send.offerKeyToUnknown(node);
      return;
    }
    const nonce = bytes.subarray(8, PILS_HEADER_SIZE);
    const verdict = crypto.replay.check(nonce);
    if (verdict !== "ok") return this.#replayed(node, nonce, verdict);
    const sealed = bytes.subarray(PILS_HEADER_SIZE);
    let now: Uint8Array | undefined;
    let failed = false;
    try {
      now = crypto.openNow(nonce, sealed);
    } catch {
      failed = true;
    }
    if ((now !== undefined || failed) && this.#opens.size === 0) {
      // A small frame opened at once is handed on in this turn unless earlier opens are pending.
      this.#deliverOpened({ node, crypto, nonce, from, relayed, plaintext: now });
      return;
    }
    const nonceCopy = nonce.slice();
    if (now !== undefined || failed) {
      this.#opens.push(Promise.resolve({ node, crypto, nonce: nonceCopy, from, relayed, plaintext: now }));
      return;
    }
    const opening = crypto.open(nonce, sealed);
    this.#opens.push(opening.then(
      (plaintext) => ({ node, crypto, nonce: nonceCopy, from, relayed, plaintext }),
      () => ({ node, crypto, nonce: nonceCopy, from, relayed, plaintext: undefined }),
    ));
  }

  #deliverOpened(job: OpenJob): void {
    const ctx = this.#ctx;
    const entry = ctx.table.get(job.node);
    if (job.plaintext === undefined) {
      ctx.stats.drop("auth_failed");
      // Q10 again: the peer may hold a key we no longer share.
      if (entry?.endpoint !== undefined) this.#send.sendKeyExchange(entry, true);
      return;
    }
    const verdict = job.crypto.replay.accept(job.nonce);
    if (verdict !== "ok") return this.#replayed(job.node, job.nonce, verdict);
    let packet: Packet;
    try {
      packet = decodePacket(job.plaintext);
    } catch (err) {
      return ctx.dropError(err, "bad_packet");
    }
    if (packet.src.node !== job.node) return ctx.stats.drop("source_mismatch"); // Q23
    job.crypto.heardFrom = true;
    // Q13 (encrypted): the endpoint follows authenticated traffic, which cannot be forged off-path.
    if (entry !== undefined && entry.crypto === job.crypto && !job.relayed && entry.endpoint !== undefined) {
      if (!sameUdpAddr(entry.endpoint, job.from)) entry.endpoint = job.from;
    }
    this.#learn(job.node, job.from, job.relayed);
    this.#deliver(packet, job.node, { encrypted: true, relayed: job.relayed });
  }

  #replayed(node: number, nonce: Uint8Array, verdict: string): void {
    this.#ctx.stats.drop(`replay_${verdict}`);
    const counter = Number(readNonceCounter(nonce));
    this.#ctx.emit(TUNNEL_EVENTS.nonceReplay, { peer_node_id: node, counter });
  }

  #deliver(packet: Packet, node: number, info: PacketInfo): void {
    try {
      this.#onPacket(packet, node, info);
    } catch (err) {
      this.#ctx.config.log.error("tunnel packet handler failed", { error: String(err), node });
    }
  }

  /** §3.5 row 2: learns a peer from a decoded packet; returns its entry when it has an endpoint. */
  #learn(node: number, from: UdpAddr, relayed: boolean): PeerEntry | undefined {
    const ctx = this.#ctx;
    const existing = ctx.table.get(node);
    if (existing?.endpoint !== undefined) return existing;
    // Encryption mode learns only nodes that proved a key (spoofed sources stay out).
    if (ctx.config.encrypt && existing?.crypto === undefined) return undefined;
    const entry = existing ?? ctx.table.getOrCreate(node);
    if (entry === undefined) {
      ctx.stats.drop("peer_table_full");
      return undefined;
    }
    const endpoint = relayed && ctx.config.beacon !== undefined ? ctx.config.beacon : from;
    entry.endpoint = endpoint;
    ctx.emit(TUNNEL_EVENTS.peerAdded, { peer_node_id: node, endpoint: formatUdpAddr(endpoint) });
    if (ctx.config.encrypt) this.#send.sendKeyExchange(entry, true);
    return entry;
  }

  /** Q13 (plaintext): moves the endpoint to a new source only when the registry agrees. */
  #checkPlaintextEndpoint(entry: PeerEntry, from: UdpAddr): void {
    const ctx = this.#ctx;
    if (ctx.config.encrypt || ctx.config.resolvePeer === undefined || sameUdpAddr(entry.endpoint, from)) {
      return;
    }
    const now = ctx.config.now();
    if (now - entry.lastEndpointCheck < ENDPOINT_REFRESH_INTERVAL_MS) return;
    entry.lastEndpointCheck = now;
    const resolver = ctx.config.resolvePeer;
    void ctx.track((async () => {
      try {
        const { host, port } = splitHostPort(await resolver(entry.nodeId, ctx.config.signal));
        entry.resolved = { hostname: host, port };
      } catch {
        // No answer (private node, registry down): the endpoint simply stays where it is.
        ctx.stats.drop("endpoint_check_failed");
        return;
      }
      if (sameUdpAddr(entry.resolved, from)) {
        ctx.config.log.info("tunnel peer endpoint moved", {
          node: entry.nodeId,
          endpoint: formatUdpAddr(from),
        });
        entry.endpoint = from;
      }
    })());
  }

  async #onBeacon(bytes: Uint8Array, from: UdpAddr): Promise<void> {
    const ctx = this.#ctx;
    const link = this.#beaconLink;
    if (link === undefined || ctx.config.beacon === undefined || !sameUdpAddr(from, ctx.config.beacon)) {
      ctx.stats.drop("beacon_untrusted_source");
      return;
    }
    const delivery = await link.handleDatagram(bytes, from);
    if (delivery === undefined) return;
    const sender = delivery.senderId;
    if (ctx.relay.activate(sender)) ctx.emit(TUNNEL_EVENTS.relayActivated, { peer_node_id: sender });
    const entry = ctx.table.getOrCreate(sender);
    if (entry !== undefined && entry.endpoint === undefined) entry.endpoint = ctx.config.beacon;
    const frame = delivery.frame;
    if (frame.byteLength < 4) return;
    const kind = classifyDatagram(frame);
    if (kind === "PILP" || kind === "ignore" || kind === "beacon") {
      ctx.stats.drop("relayed_other");
      return;
    }
    this.#dispatch(frame, from, true);
  }
}
