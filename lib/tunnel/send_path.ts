/**
 * The tunnel's send path (network.md §3.6): resolving a peer we have no entry for (with the beacon's
 * punch request), plaintext PILT or sealed PILS, the key exchange and pending queue before keys exist
 * (with the Q7 plaintext copy), relay wrapping (§3.11), and our own key exchange frame, rate-limited
 * per peer (Q10, Q21). Every datagram the tunnel sends, beacon messages included, leaves through
 * {@linkcode SendPath.sendRaw}, which counts it.
 *
 * Seals run many at once through WebCrypto and are handed on in order ({@linkcode OrderedPipeline});
 * the nonce counter is taken at call time, so a peer's frames leave in `send` order. A bounded, FIFO
 * {@linkcode SendWindow} is the backpressure: past it, `send` waits.
 *
 * @module
 */

import type { SealedFrame } from "../crypto/mod.ts";
import { PilotError } from "../errors.ts";
import { splitHostPort } from "../flags/mod.ts";
import { sameUdpAddr, type UdpAddr } from "../net/mod.ts";
import { punchRequestMessage } from "../beacon/mod.ts";
import { encodePilsHeader, encodePilt, PILS_HEADER_SIZE } from "../protocol/mod.ts";
import type { PeerResolver, TunnelContext } from "./context.ts";
import { ownKeyExchangeFrame } from "./key_exchange.ts";
import { OrderedPipeline } from "./ordered_pipeline.ts";
import type { PeerEntry } from "./peer_table.ts";
import { wrapForRelay } from "./relay.ts";
import { SendWindow } from "./send_window.ts";
import type { SentKind } from "./stats.ts";

/** Options of {@linkcode SendPath}. */
export interface SendPathOptions {
  /** See the tunnel's module note on Q7. */
  readonly plaintextFallback: boolean;
  readonly maxSendsInFlight: number;
}

interface SealJob {
  readonly entry: PeerEntry;
  readonly frame: Uint8Array | undefined;
  readonly error: unknown;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Offers of our key to a node that sent PILS without an entry: spacing per node (ms). */
const UNKNOWN_OFFER_INTERVAL_MS = 5_000;
/** ... and in all, per second: each one costs a registry lookup. */
const UNKNOWN_OFFERS_PER_SECOND = 5;
/** Nodes remembered for the spacing; the table is simply cleared when full. */
const UNKNOWN_OFFER_TABLE = 1024;

/** Sending, from `Tunnel.send` to the socket. */
export class SendPath {
  readonly #ctx: TunnelContext;
  readonly #plaintextFallback: boolean;
  readonly #window: SendWindow;
  readonly #seals: OrderedPipeline<SealJob>;
  readonly #resolving = new Map<number, Promise<PeerEntry>>();
  #unknownOffers = new Map<number, number>();
  #unknownWindowStart = -Infinity;
  #unknownInWindow = 0;
  #ownFrame: Uint8Array | undefined;

  constructor(ctx: TunnelContext, options: SendPathOptions) {
    this.#ctx = ctx;
    this.#plaintextFallback = options.plaintextFallback;
    this.#window = new SendWindow(options.maxSendsInFlight);
    this.#seals = new OrderedPipeline({ deliver: (job) => this.#sendSealed(job), fail: (e) => ctx.bug(e) });
  }

  /** Seals started and not yet handed to the socket. */
  get sealsInFlight(): number {
    return this.#seals.size;
  }

  /** Resolves once every seal started so far is handed on. */
  sealsDrained(): Promise<void> {
    return this.#seals.drained();
  }

  /** Refuses every send still waiting for a window slot (the tunnel is closing). */
  close(): void {
    this.#window.close();
  }

  /** Forgets our key exchange frame, which carries our node ID (call when it changes). */
  forgetOwnFrame(): void {
    this.#ownFrame = undefined;
  }

  /** §3.6: see `Tunnel.send` for the contract and the codes. */
  send(nodeId: number, packet: Uint8Array): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.config.signal.aborted) {
      return Promise.reject(new PilotError("tunnel_closed", "tunnel is closed"));
    }
    if (ctx.nodeId === undefined) {
      return Promise.reject(
        new PilotError("tunnel_not_registered", "no node id yet", { hint: "register before sending" }),
      );
    }
    const entry = ctx.table.get(nodeId);
    if (entry?.endpoint !== undefined) return this.#sendTo(entry, packet);
    return this.#resolveThenSend(nodeId, packet);
  }

  async #resolveThenSend(nodeId: number, packet: Uint8Array): Promise<void> {
    const entry = await this.#entryForSend(nodeId);
    return this.#sendTo(entry, packet);
  }

  /**
   * A PILS came from a node we have no entry for: most likely a peer that still holds a key from our
   * previous run (we restarted; Q10's black hole from the other side). Resolve it and offer our key so
   * it re-keys. Bounded: at most one offer per node per {@linkcode UNKNOWN_OFFER_INTERVAL_MS} and
   * {@linkcode UNKNOWN_OFFERS_PER_SECOND} in all, since the node id in a PILS is not authenticated and
   * each offer costs a registry lookup.
   */
  offerKeyToUnknown(nodeId: number): void {
    const ctx = this.#ctx;
    if (!ctx.config.encrypt || ctx.config.resolvePeer === undefined || ctx.nodeId === undefined) return;
    const now = ctx.config.now();
    const last = this.#unknownOffers.get(nodeId);
    if (last !== undefined && now - last < UNKNOWN_OFFER_INTERVAL_MS) return;
    if (now - this.#unknownWindowStart >= 1000) {
      this.#unknownWindowStart = now;
      this.#unknownInWindow = 0;
    }
    if (this.#unknownInWindow >= UNKNOWN_OFFERS_PER_SECOND) return;
    this.#unknownInWindow++;
    if (this.#unknownOffers.size >= UNKNOWN_OFFER_TABLE) this.#unknownOffers.clear();
    this.#unknownOffers.set(nodeId, now);
    // Creating the entry sends our key exchange (below); a failed resolve just ends the attempt.
    ctx.background(
      this.#entryForSend(nodeId).then(() => {}, () => ctx.stats.drop("unknown_offer_unresolved")),
    );
  }

  /**
   * Asks the registry again where `nodeId` is, and moves the entry there if it moved (a peer that
   * restarted on another port). Resolves `true` when the endpoint changed; our key exchange then goes
   * to the new place at once. Used before giving up on the direct path (the relay fallback, §5.4).
   */
  async refreshEndpoint(nodeId: number): Promise<boolean> {
    const ctx = this.#ctx;
    const entry = ctx.table.get(nodeId);
    const resolver = ctx.config.resolvePeer;
    if (entry === undefined || resolver === undefined) return false;
    let addr: UdpAddr;
    try {
      addr = await this.#resolveAddr(nodeId, resolver);
    } catch {
      return false; // unknown, private or unreachable registry: the relay is the only way left
    }
    entry.resolved = addr;
    if (entry.endpoint !== undefined && sameUdpAddr(entry.endpoint, addr)) return false;
    entry.endpoint = addr;
    if (ctx.config.encrypt) {
      entry.backoff.reset();
      this.sendKeyExchange(entry, true);
    }
    return true;
  }

  async #resolveAddr(nodeId: number, resolver: PeerResolver): Promise<UdpAddr> {
    try {
      const { host, port } = splitHostPort(await resolver(nodeId, this.#ctx.config.signal));
      return { hostname: host === "" ? "127.0.0.1" : host, port };
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new PilotError("tunnel_resolve_failed", `resolve node ${nodeId}: ${detail}`, { cause });
    }
  }

  #entryForSend(nodeId: number): Promise<PeerEntry> {
    const ctx = this.#ctx;
    const resolver = ctx.config.resolvePeer;
    if (resolver === undefined) {
      return Promise.reject(new PilotError("tunnel_no_tunnel", `no tunnel to node ${nodeId}`));
    }
    const running = this.#resolving.get(nodeId);
    if (running !== undefined) return running;
    const resolving = ctx.track(
      (async () => {
        const addr = await this.#resolveAddr(nodeId, resolver);
        if (ctx.config.signal.aborted) throw new PilotError("tunnel_closed", "tunnel is closed");
        const entry = ctx.table.getOrCreate(nodeId);
        if (entry === undefined) {
          throw new PilotError("tunnel_table_full", `no tunnel to node ${nodeId}: peer table is full`);
        }
        if (ctx.config.beacon !== undefined && ctx.nodeId !== undefined) {
          ctx.background(
            this.sendRaw(punchRequestMessage(ctx.nodeId, nodeId), ctx.config.beacon, "punch_request"),
          );
        }
        entry.resolved = addr;
        if (entry.endpoint === undefined) {
          entry.endpoint = addr;
          if (ctx.config.encrypt && entry.crypto === undefined) this.sendKeyExchange(entry, true);
        }
        return entry;
      })().finally(() => this.#resolving.delete(nodeId)),
    );
    this.#resolving.set(nodeId, resolving);
    return resolving;
  }

  #sendTo(entry: PeerEntry, packet: Uint8Array): Promise<void> {
    const ctx = this.#ctx;
    if (!ctx.config.encrypt) return this.#output(entry, encodePilt(packet), "PILT");
    if (entry.crypto !== undefined) return this.seal(entry, packet);
    // §3.6 step 5: key exchange, queue, and (Q7) the plaintext copy.
    this.sendKeyExchange(entry, true);
    const outcome = ctx.pending.push(entry.nodeId, packet.slice());
    if (outcome !== "queued") ctx.stats.drop(`pending_${outcome}`);
    if (this.#plaintextFallback) return this.#output(entry, encodePilt(packet), "PILT");
    return Promise.resolve();
  }

  /** Seals `packet` with the peer's context and sends it as PILS, in call order. */
  seal(entry: PeerEntry, packet: Uint8Array): Promise<void> {
    if (this.#window.tryAcquire()) return this.#startSeal(entry, packet);
    return this.#window.acquire().then(() => this.#startSeal(entry, packet));
  }

  // Holds one window slot, released when the UDP send settles.
  #startSeal(entry: PeerEntry, packet: Uint8Array): Promise<void> {
    const crypto = entry.crypto;
    if (crypto === undefined || this.#ctx.config.signal.aborted) {
      this.#window.release();
      return Promise.reject(new PilotError("tunnel_no_tunnel", `no tunnel to node ${entry.nodeId}`));
    }
    let now: SealedFrame | undefined;
    try {
      now = crypto.sealNow(packet);
    } catch (error) {
      this.#window.release();
      return Promise.reject(error);
    }
    // A small packet sealed at once skips the pipeline unless earlier seals are still pending.
    if (now !== undefined && this.#seals.size === 0) {
      return this.#output(entry, this.#pilsFrame(now), "PILS").finally(() => this.#window.release());
    }
    const sealing = now === undefined ? crypto.seal(packet) : Promise.resolve(now);
    return new Promise<void>((resolve, reject) => {
      this.#seals.push(sealing.then(
        (sealed) => ({ entry, frame: this.#pilsFrame(sealed), error: undefined, resolve, reject }),
        (error) => ({ entry, frame: undefined, error, resolve, reject }),
      ));
    });
  }

  #pilsFrame(sealed: SealedFrame): Uint8Array {
    const frame = new Uint8Array(PILS_HEADER_SIZE + sealed.sealed.byteLength);
    encodePilsHeader(this.#ctx.nodeId ?? 0, sealed.nonce, frame);
    frame.set(sealed.sealed, PILS_HEADER_SIZE);
    return frame;
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

  /** Sends a tunnel frame to the peer: through the beacon in relay mode (§3.11), else to its endpoint. */
  #output(entry: PeerEntry, frame: Uint8Array, kind: "PILT" | "PILS" | "PILA" | "PILK"): Promise<void> {
    const ctx = this.#ctx;
    if (ctx.relay.has(entry.nodeId) && ctx.config.beacon !== undefined && ctx.nodeId !== undefined) {
      let wrapped: Uint8Array;
      try {
        wrapped = wrapForRelay(ctx.nodeId, entry.nodeId, frame);
      } catch (err) {
        return Promise.reject(err); // a frame too large to wrap: the caller's promise says so
      }
      return this.sendRaw(wrapped, ctx.config.beacon, "relay");
    }
    if (entry.endpoint === undefined) {
      return Promise.reject(new PilotError("tunnel_no_address", `no address for node ${entry.nodeId}`));
    }
    return this.sendRaw(frame, entry.endpoint, kind);
  }

  /** Counts and sends one datagram from the tunnel socket. */
  sendRaw(bytes: Uint8Array, to: UdpAddr, kind: SentKind): Promise<void> {
    this.#ctx.stats.sent(kind, bytes.byteLength);
    return this.#ctx.udp.send(bytes, to);
  }

  /** Sends our key exchange to `entry`; `limited` applies the Q21/Q10 backoff. */
  sendKeyExchange(entry: PeerEntry, limited: boolean): void {
    const ctx = this.#ctx;
    if (ctx.nodeId === undefined) return;
    if (limited && !entry.backoff.take(ctx.config.now())) {
      ctx.stats.drop("key_exchange_rate_limited");
      return;
    }
    this.#ownFrame ??= ownKeyExchangeFrame(ctx.nodeId, ctx.config.keyPair, ctx.config.identity);
    ctx.background(this.#output(entry, this.#ownFrame, ctx.config.identity === undefined ? "PILK" : "PILA"));
  }
}
