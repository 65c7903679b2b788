/**
 * Received key exchanges (network.md §3.7, §4.3): PILA checked against the node's registry key (Q12
 * re-fetch), the PILK rule, the context kept or rebuilt (Q9), retired keys refused and the endpoint
 * moved only by a new key, a first contact or the registry's address (Q11), our reply, and the packets
 * that waited for the keys. The reasons are in the tunnel's module note (tunnel.ts).
 *
 * One node's key exchanges run one after another, in arrival order, and PILS frames from that node are
 * held meanwhile ({@linkcode KeyExchangeHandler.hold}), since the context they need may be the one
 * being made (a registry lookup can take a while).
 *
 * @module
 */

import { verifyPila } from "../crypto/mod.ts";
import type { UdpAddr } from "../net/mod.ts";
import { sameUdpAddr } from "../net/mod.ts";
import { decodePila, decodePilk, PILA_SIZE, PILK_SIZE } from "../protocol/mod.ts";
import { MAX_HELD_FRAMES, MAX_KEY_EXCHANGE_JOBS } from "./constants.ts";
import type { TunnelContext } from "./context.ts";
import { TUNNEL_EVENTS } from "./events.ts";
import { type IdentityKeyLookup, IdentityKeys } from "./key_exchange.ts";
import { PeerCrypto } from "./peer_crypto.ts";
import { isRetiredKey, retireKey } from "./peer_table.ts";
import type { SendPath } from "./send_path.ts";
import { senderNodeOf } from "./sender_node.ts";

/** A PILS frame that arrived while its node's key exchange was being checked (a copy). */
export interface HeldFrame {
  readonly bytes: Uint8Array;
  readonly from: UdpAddr;
  readonly relayed: boolean;
}

/** Options of {@linkcode KeyExchangeHandler}. */
export interface KeyExchangeHandlerOptions {
  /** The registry `lookup` of a node's Ed25519 key. */
  readonly lookupIdentityKey: IdentityKeyLookup | undefined;
  /** Receives each held frame, in arrival order, once its node's key exchanges are done. */
  readonly release: (frame: HeldFrame) => void;
}

interface Progress {
  chain: Promise<void>;
  jobs: number;
  held: HeldFrame[];
}

/** Handles PILK and PILA frames. */
/** Answers to a repeated, unchanged key exchange are spaced at least this far apart. */
const REPEAT_REPLY_INTERVAL_MS = 1000;
/** A repeat this soon after the context was made belongs to the opening burst, not to a lost answer. */
const REPEAT_SETTLE_MS = 300;

export class KeyExchangeHandler {
  readonly #ctx: TunnelContext;
  readonly #send: SendPath;
  readonly #release: (frame: HeldFrame) => void;
  readonly #identityKeys: IdentityKeys;
  readonly #progress = new Map<number, Progress>();

  constructor(ctx: TunnelContext, send: SendPath, options: KeyExchangeHandlerOptions) {
    this.#ctx = ctx;
    this.#send = send;
    this.#release = options.release;
    this.#identityKeys = new IdentityKeys({
      lookup: options.lookupIdentityKey,
      now: ctx.config.now,
      signal: ctx.config.signal,
    });
  }

  /**
   * Holds a PILS frame from `node` while its key exchange is checked: true when the frame was taken
   * (copied, or dropped past {@linkcode MAX_HELD_FRAMES}), false when no exchange runs for that node.
   */
  hold(node: number, bytes: Uint8Array, from: UdpAddr, relayed: boolean): boolean {
    const progress = this.#progress.get(node);
    if (progress === undefined) return false;
    if (progress.held.length >= MAX_HELD_FRAMES) this.#ctx.stats.drop("held_overflow");
    else progress.held.push({ bytes: bytes.slice(), from, relayed });
    return true;
  }

  /** Takes a received PILK or PILA; `bytes` may view the receive buffer (it is copied). */
  receive(kind: "PILK" | "PILA", bytes: Uint8Array, from: UdpAddr, relayed: boolean): void {
    const ctx = this.#ctx;
    const size = kind === "PILA" ? PILA_SIZE : PILK_SIZE;
    if (bytes.byteLength < size) return ctx.stats.drop("short_frame");
    if (!ctx.config.encrypt) return ctx.stats.drop("encryption_off");
    if (ctx.jobs.size >= MAX_KEY_EXCHANGE_JOBS) return ctx.stats.drop("key_exchange_busy");
    const copy = bytes.slice(0, size);
    const node = senderNodeOf(copy);
    if (node === ctx.nodeId) return ctx.stats.drop("own_node_id");
    let progress = this.#progress.get(node);
    if (progress === undefined) {
      progress = { chain: Promise.resolve(), jobs: 0, held: [] };
      this.#progress.set(node, progress);
    }
    const state = progress;
    state.jobs++;
    const next = state.chain.then(() => this.#handle(kind, copy, from, relayed));
    state.chain = next.catch(() => {}).finally(() => {
      if (--state.jobs > 0) return;
      this.#progress.delete(node);
      for (const held of state.held) this.#release(held);
    });
    ctx.background(ctx.track(next));
  }

  async #handle(kind: "PILK" | "PILA", bytes: Uint8Array, from: UdpAddr, relayed: boolean): Promise<void> {
    const ctx = this.#ctx;
    const pila = kind === "PILA" ? decodePila(bytes) : undefined;
    const { senderNode: node, x25519Public } = pila ?? decodePilk(bytes);
    let authenticated = false;
    if (pila !== undefined) {
      // Cheap filter first: a frame that does not verify under its own key is garbage, not worth a lookup.
      if (!verifyPila(pila.ed25519Public, pila)) return ctx.stats.drop("pila_bad_signature");
      const answer = await this.#identityKeys.get(node);
      if (answer.state !== "known") return ctx.stats.drop(`pila_key_${answer.state}`);
      if (!verifyPila(answer.key, pila)) {
        const fresh = await this.#identityKeys.refresh(node); // Q12
        if (fresh === undefined || !verifyPila(fresh, pila)) return ctx.stats.drop("pila_wrong_key");
      }
      authenticated = true;
    } else if (ctx.config.identity !== undefined) {
      const answer = await this.#identityKeys.get(node);
      if (answer.state !== "none") {
        // §3.7 PILK step 1: the node must authenticate; offer ours to its known endpoint.
        ctx.stats.drop(answer.state === "known" ? "pilk_refused" : "pilk_lookup_failed");
        const known = ctx.table.get(node);
        if (known?.endpoint !== undefined) this.#send.sendKeyExchange(known, true);
        return;
      }
    }
    if (ctx.config.signal.aborted) return;
    const entry = ctx.table.getOrCreate(node);
    if (entry === undefined) return ctx.stats.drop("peer_table_full");
    if (isRetiredKey(entry, x25519Public)) return ctx.stats.drop("retired_key"); // Q11
    const previous = entry.crypto;
    const sameKey = previous?.sameKey(x25519Public) ?? false;
    let crypto: PeerCrypto;
    if (previous !== undefined && sameKey) {
      crypto = previous; // Q9: keep the counter running, see the module note
      crypto.authenticated ||= authenticated;
    } else {
      try {
        crypto = PeerCrypto.derive(ctx.config.keyPair, x25519Public, { authenticated });
      } catch (err) {
        return ctx.dropError(err, "bad_peer_key");
      }
      if (previous !== undefined) retireKey(entry, previous.peerX25519);
    }
    crypto.createdMs ??= ctx.config.now();
    entry.crypto = crypto;
    if (pila !== undefined) this.#identityKeys.remember(node, pila.ed25519Public);
    if (!relayed && (!sameKey || entry.endpoint === undefined || sameUdpAddr(from, entry.resolved))) {
      entry.endpoint = from; // Q11: only a new key, a first contact or the registry's address moves it
    }
    entry.backoff.reset();
    ctx.emit(TUNNEL_EVENTS.established, {
      peer_node_id: node,
      authenticated: crypto.authenticated,
      relay: ctx.relay.has(node),
      rekeyed: previous !== undefined,
    });
    if (!sameKey) {
      this.#send.sendKeyExchange(entry, false); // the reply rule that prevents ping-pong
    } else if (!crypto.heardFrom) {
      // A peer that repeats an unchanged key exchange before any of its PILS reached us has most
      // likely lost our answer (the reference's rule would then never answer again, and both sides
      // stay without a shared key). Answer again, at most once a second: a Go peer ignores a repeat
      // of our unchanged key, and between our own daemons the first PILS ends the exchange. The
      // opening burst (two frames at once, §3.6) is not a lost answer, hence the settling time.
      const now = ctx.config.now();
      const settled = now - (crypto.createdMs ?? now) >= REPEAT_SETTLE_MS;
      if (settled && now - crypto.lastRepeatReplyMs >= REPEAT_REPLY_INTERVAL_MS) {
        crypto.lastRepeatReplyMs = now;
        this.#send.sendKeyExchange(entry, false);
      }
    }
    for (const packet of ctx.pending.take(node)) ctx.background(this.#send.seal(entry, packet));
  }
}
