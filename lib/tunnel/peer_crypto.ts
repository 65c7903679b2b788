/**
 * One peer's crypto context (network.md §3.6): the AES-256-GCM cipher keyed by
 * SHA-256("pilot-tunnel-v1:" ‖ X25519), its nonce prefix and send counter, the receive replay state, the
 * peer's X25519 key and whether a verified PILA made it.
 *
 * Deliberate fix of Q9 (§3.8): the reference keeps one replay window per context, so when the peer
 * re-derives (its counter restarts at 1 under a new random prefix) while we do not, our window drops
 * its frames until its counter passes our `max`. Here the receive state follows the sender's nonce
 * prefix: a frame under a prefix we have not seen that authenticates means the peer built a new
 * context, so the old prefix is retired (its frames are refused from then on, so old frames cannot be
 * replayed) and a fresh window starts. Nothing changes on the wire.
 *
 * @module
 */

import {
  deriveTunnelKeyFromPeer,
  ReplayWindow,
  type SealedFrame,
  TAG_SIZE,
  TunnelCipher,
  type TunnelKeyPair,
} from "../crypto/mod.ts";
import { readNonceCounter, readNoncePrefix } from "../protocol/mod.ts";
import { RETIRED_HISTORY, SYNC_CRYPTO_MAX_BYTES } from "./constants.ts";

/** A replay verdict, plus `retired` for a frame under a prefix the peer has abandoned. */
export type ReceiveVerdict = "ok" | "replay" | "too_old" | "retired";

/** The receive side's replay state across the peer's contexts (see the module note on Q9). */
export class ReceiveReplay {
  #prefix: number | undefined;
  #window = new ReplayWindow();
  #retired: number[] = [];

  /** Judges a frame before decryption; changes nothing. */
  check(nonce: Uint8Array): ReceiveVerdict {
    const prefix = readNoncePrefix(nonce);
    if (this.#retired.includes(prefix)) return "retired";
    if (this.#prefix !== undefined && prefix !== this.#prefix) return "ok";
    return this.#window.check(readNonceCounter(nonce));
  }

  /** Commits a frame that authenticated; drop it unless this returns `ok`. */
  accept(nonce: Uint8Array): ReceiveVerdict {
    const prefix = readNoncePrefix(nonce);
    if (this.#retired.includes(prefix)) return "retired";
    if (this.#prefix === undefined) {
      this.#prefix = prefix;
    } else if (prefix !== this.#prefix) {
      this.#retired.push(this.#prefix);
      if (this.#retired.length > RETIRED_HISTORY) this.#retired.shift();
      this.#prefix = prefix;
      this.#window = new ReplayWindow();
    }
    return this.#window.accept(readNonceCounter(nonce));
  }
}

/** Options of {@linkcode PeerCrypto.derive}. */
export interface PeerCryptoOptions {
  /** True when a verified PILA made this context. */
  authenticated: boolean;
  /** Receive state to carry over (same peer key, so the peer's counter continues). */
  replay?: ReceiveReplay;
}

/** A ready per-peer context. */
export class PeerCrypto {
  readonly cipher: TunnelCipher;
  /** The peer's X25519 public key (a copy). */
  readonly peerX25519: Uint8Array;
  /** Receive replay state. */
  readonly replay: ReceiveReplay;
  /** True when made (or confirmed) by a verified PILA. */
  authenticated: boolean;
  /**
   * True once a PILS sealed under this context opened: proof that the peer holds our key, so a repeat
   * of its key exchange needs no answer from us.
   */
  heardFrom = false;
  /** When we last answered a repeat of the peer's unchanged key exchange (ms, the tunnel's clock). */
  lastRepeatReplyMs = -Infinity;
  /** When this context was made (ms, the tunnel's clock); `undefined` until the handler stamps it. */
  createdMs: number | undefined;
  // WebCrypto copies its input when called, but only once the key is imported; before that the
  // cipher awaits first, so a view into the reused receive buffer would change under it.
  #warm = false;

  private constructor(cipher: TunnelCipher, peerX25519: Uint8Array, options: PeerCryptoOptions) {
    this.cipher = cipher;
    this.peerX25519 = new Uint8Array(peerX25519);
    this.authenticated = options.authenticated;
    this.replay = options.replay ?? new ReceiveReplay();
  }

  /**
   * Derives a new context (new random nonce prefix, counter 1) from our key pair and the peer's key.
   *
   * @throws {PilotError} `crypto_bad_peer_key` for a key that is not 32 bytes or a low-order point.
   */
  static derive(own: TunnelKeyPair, peerX25519: Uint8Array, options: PeerCryptoOptions): PeerCrypto {
    const key = deriveTunnelKeyFromPeer(own.privateKey, peerX25519);
    return new PeerCrypto(new TunnelCipher(key), peerX25519, options);
  }

  /** True when `x25519` is the key this context was made with. */
  sameKey(x25519: Uint8Array): boolean {
    if (x25519.byteLength !== this.peerX25519.byteLength) return false;
    for (let i = 0; i < x25519.byteLength; i++) if (x25519[i] !== this.peerX25519[i]) return false;
    return true;
  }

  /**
   * Seals a small packet (ACKs, pings, control frames) at once with `node:crypto`; `undefined` for a
   * larger one, which goes to {@linkcode PeerCrypto.seal}. Both take the counter at call time.
   */
  sealNow(packet: Uint8Array): SealedFrame | undefined {
    return packet.byteLength <= SYNC_CRYPTO_MAX_BYTES ? this.cipher.sealSync(packet) : undefined;
  }

  /**
   * Opens a small frame at once; `undefined` for a larger one (use {@linkcode PeerCrypto.open}).
   *
   * @throws {PilotError} `crypto_auth_failed` as `TunnelCipher.openSync`.
   */
  openNow(nonce: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    return sealed.byteLength <= SYNC_CRYPTO_MAX_BYTES + TAG_SIZE
      ? this.cipher.openSync(nonce, sealed)
      : undefined;
  }

  /** Seals one packet; the counter is taken now, so call in send order. */
  seal(packet: Uint8Array): Promise<SealedFrame> {
    const sealing = this.cipher.seal(packet);
    if (!this.#warm) void sealing.then(() => this.#warm = true, () => {});
    return sealing;
  }

  /** Opens one frame; `nonce` and `sealed` may be views of a buffer the caller reuses at once. */
  open(nonce: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
    if (this.#warm) return this.cipher.open(nonce, sealed);
    const opening = this.cipher.open(nonce.slice(), sealed.slice());
    void opening.then(() => this.#warm = true, () => this.#warm = true);
    return opening;
  }
}
