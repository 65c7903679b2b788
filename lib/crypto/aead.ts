/**
 * The per-peer tunnel cipher of network.md §3.4 and §3.6: AES-256-GCM with the one derived key, a
 * 12-byte nonce = 4-byte prefix (random, fixed for the context) ‖ 8-byte big-endian counter (1, 2, 3,
 * ...), no additional data, 16-byte tag appended to the ciphertext.
 *
 * Two paths share the counter:
 * - `seal`/`open` (WebCrypto, async). The counter is taken synchronously when `seal` is called, so a
 *   sender may start many seals without awaiting, and the frames' order is the call order. Send them in
 *   that order (await the promises first-in first-out, or use `SealStream`).
 * - `sealSync`/`openSync` (`node:crypto`, synchronous).
 *
 * Measured on this machine (2 cores, Deno 2.9.6, shared and noisy: load ~2, ±30 % run to run), seal+open
 * pairs of 4 KiB segments, MB/s of plaintext (`deno run scripts/bench/crypto_throughput.ts`, two runs):
 *
 * | path                                      | MB/s     | ÷ baseline |
 * | ----------------------------------------- | -------- | ---------- |
 * | baseline: SHA-256 WebCrypto, 64 in flight | 380–463  | 1.00       |
 * | SHA-256 `node:crypto` sync                | 761–1001 | 2.0–2.2    |
 * | WebCrypto, await each call                | 73–85    | 0.18–0.19  |
 * | WebCrypto, 16 in flight                   | 147–151  | 0.32–0.40  |
 * | WebCrypto, 64 in flight                   | 125–145  | 0.27–0.38  |
 * | `SealStream` (32) then 64 opens in flight | 90–107   | 0.23–0.24  |
 * | `node:crypto` sync (`sealSync`/`openSync`) | 29–76    | 0.08–0.16  |
 *
 * Each WebCrypto call is an async hop to a worker thread, so throughput comes from many calls in flight
 * (about 16 is the sweet spot; 64 is no better). Use `seal` with ~16 frames in flight for bulk data
 * (`SealStream` keeps them in order), and the sync path where a result is needed in the same turn (a lone
 * packet, a caller that cannot await); per byte it is the slowest path.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createCipheriv, createDecipheriv } from "node:crypto";
import { PilotError } from "../errors.ts";

/** AES-256 key size. */
export const TUNNEL_KEY_SIZE = 32;
/** GCM nonce size (§3.4). */
export const NONCE_SIZE = 12;
/** Random, per-context part of the nonce (§3.4). */
export const NONCE_PREFIX_SIZE = 4;
/** GCM tag size, appended to the ciphertext. */
export const TAG_SIZE = 16;

/** One sealed packet: what a PILS frame carries after the sender's node ID. */
export interface SealedFrame {
  /** The counter in the nonce; the first frame of a context has 1. */
  readonly counter: number;
  /** 12 bytes: prefix ‖ counter (BE). */
  readonly nonce: Uint8Array;
  /** Ciphertext followed by the 16-byte tag. */
  readonly sealed: Uint8Array;
}

/** Options of {@linkcode TunnelCipher}. */
export interface TunnelCipherOptions {
  /** 4-byte nonce prefix; random when omitted (set it only for test vectors). */
  noncePrefix?: Uint8Array;
  /** Counter of the first sealed frame; 1 when omitted (§3.4). */
  firstCounter?: number;
}

/** Reads the 8-byte big-endian counter of a 12-byte nonce (the replay window's input, §3.8). */
export function nonceCounter(nonce: Uint8Array): bigint {
  if (nonce.byteLength !== NONCE_SIZE) {
    throw new PilotError("crypto_bad_nonce", `nonce is ${nonce.byteLength} bytes, want ${NONCE_SIZE}`);
  }
  return new DataView(nonce.buffer, nonce.byteOffset, NONCE_SIZE).getBigUint64(NONCE_PREFIX_SIZE);
}

function authFailed(cause?: unknown): PilotError {
  return new PilotError("crypto_auth_failed", "tunnel frame failed authentication", { cause });
}

/**
 * AES-256-GCM for one peer context. Not shared between contexts: a new key exchange builds a new cipher
 * (new prefix, counter back to 1, §3.6).
 *
 * @example
 * ```ts
 * import { TunnelCipher } from "./aead.ts";
 * const cipher = new TunnelCipher(new Uint8Array(32));
 * const frame = cipher.sealSync(new TextEncoder().encode("hi"));
 * const text = new TextDecoder().decode(await cipher.open(frame.nonce, frame.sealed));
 * if (frame.counter !== 1 || text !== "hi") throw new Error("round trip");
 * ```
 */
export class TunnelCipher {
  readonly #rawKey: Buffer;
  readonly #keyBytes: Uint8Array<ArrayBuffer>;
  readonly #prefix: Uint8Array;
  #webKey: Promise<CryptoKey> | undefined;
  #cryptoKey: CryptoKey | undefined;
  #next: number;

  /**
   * @param key the 32-byte tunnel key ({@linkcode deriveTunnelKey} in x25519.ts); copied.
   * @throws {PilotError} `crypto_bad_key` on a wrong key or prefix size or a bad first counter.
   */
  constructor(key: Uint8Array, options: TunnelCipherOptions = {}) {
    if (key.byteLength !== TUNNEL_KEY_SIZE) {
      throw new PilotError(
        "crypto_bad_key",
        `tunnel key is ${key.byteLength} bytes, want ${TUNNEL_KEY_SIZE}`,
      );
    }
    const prefix = options.noncePrefix ?? crypto.getRandomValues(new Uint8Array(NONCE_PREFIX_SIZE));
    if (prefix.byteLength !== NONCE_PREFIX_SIZE) {
      throw new PilotError(
        "crypto_bad_key",
        `nonce prefix is ${prefix.byteLength} bytes, want ${NONCE_PREFIX_SIZE}`,
      );
    }
    const first = options.firstCounter ?? 1;
    if (!Number.isSafeInteger(first) || first < 0) {
      throw new PilotError("crypto_bad_key", `first counter ${first} is not a non-negative safe integer`);
    }
    this.#keyBytes = new Uint8Array(key);
    this.#rawKey = Buffer.from(this.#keyBytes);
    this.#prefix = new Uint8Array(prefix);
    this.#next = first;
  }

  /** The fixed 4-byte nonce prefix of this context (a copy). */
  get noncePrefix(): Uint8Array {
    return new Uint8Array(this.#prefix);
  }

  /** The counter the next `seal`/`sealSync` call will use. */
  get nextCounter(): number {
    return this.#next;
  }

  // The counter is a JS number: 2^53 frames is centuries at any real rate, and refusing past it keeps
  // a nonce from ever repeating under one key (GCM's one hard rule).
  #takeNonce(): { counter: number; nonce: Uint8Array<ArrayBuffer> } {
    const counter = this.#next;
    if (counter > Number.MAX_SAFE_INTEGER) {
      throw new PilotError("crypto_counter_exhausted", "tunnel nonce counter exhausted", {
        hint: "re-key the peer with a new key exchange",
      });
    }
    this.#next = counter + 1;
    const nonce = new Uint8Array(NONCE_SIZE);
    nonce.set(this.#prefix, 0);
    const view = new DataView(nonce.buffer);
    view.setUint32(4, Math.floor(counter / 0x1_0000_0000));
    view.setUint32(8, counter >>> 0);
    return { counter, nonce };
  }

  #key(): Promise<CryptoKey> {
    // Imported on first async use only, so a sync-only cipher never leaves a pending op behind.
    this.#webKey ??= crypto.subtle.importKey("raw", this.#keyBytes, "AES-GCM", false, ["encrypt", "decrypt"])
      .then((key) => this.#cryptoKey = key);
    return this.#webKey;
  }

  /**
   * Seals one packet with WebCrypto. The counter is assigned now, before the first await, and the
   * plaintext bytes are taken now too (WebCrypto copies its input when called), so the caller may reuse
   * its buffer at once.
   */
  seal(plaintext: Uint8Array): Promise<SealedFrame> {
    const { counter, nonce } = this.#takeNonce();
    const done = (out: ArrayBuffer): SealedFrame => ({ counter, nonce, sealed: new Uint8Array(out) });
    if (this.#cryptoKey !== undefined) {
      // Hot path: no extra microtask, no copy of ours.
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, this.#cryptoKey, bufferSource(plaintext))
        .then(done);
    }
    const copy = new Uint8Array(plaintext); // the key is not ready, so encrypt runs later than this call
    return this.#key().then((key) => crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, key, copy)).then(
      done,
    );
  }

  /** Seals one packet synchronously with `node:crypto`; same counter sequence as `seal`. */
  sealSync(plaintext: Uint8Array): SealedFrame {
    const { counter, nonce } = this.#takeNonce();
    const cipher = createCipheriv("aes-256-gcm", this.#rawKey, Buffer.from(nonce.buffer));
    const sealed = new Uint8Array(plaintext.byteLength + TAG_SIZE);
    let offset = 0;
    for (const part of [cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]) {
      sealed.set(part, offset);
      offset += part.byteLength;
    }
    if (offset !== sealed.byteLength) {
      throw new Error(`aes-gcm produced ${offset} bytes, want ${sealed.byteLength}`);
    }
    return { counter, nonce, sealed };
  }

  /**
   * Opens one frame with WebCrypto.
   *
   * @throws {PilotError} `crypto_auth_failed` when the tag does not verify (wrong key, tampering) or
   *   `sealed` is shorter than a tag; `crypto_bad_nonce` when `nonce` is not 12 bytes.
   */
  async open(nonce: Uint8Array, sealed: Uint8Array): Promise<Uint8Array> {
    checkFrame(nonce, sealed);
    const key = this.#cryptoKey ?? await this.#key();
    try {
      const iv = bufferSource(nonce);
      return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, bufferSource(sealed)));
    } catch (cause) {
      throw authFailed(cause);
    }
  }

  /** Opens one frame synchronously with `node:crypto`; throws as {@linkcode TunnelCipher.open}. */
  openSync(nonce: Uint8Array, sealed: Uint8Array): Uint8Array {
    checkFrame(nonce, sealed);
    const cut = sealed.byteLength - TAG_SIZE;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#rawKey, Buffer.from(nonce));
      decipher.setAuthTag(Buffer.from(sealed.subarray(cut)));
      const head = decipher.update(sealed.subarray(0, cut));
      const tail = decipher.final();
      if (tail.byteLength === 0) return new Uint8Array(head.buffer, head.byteOffset, head.byteLength);
      const out = new Uint8Array(head.byteLength + tail.byteLength);
      out.set(head, 0);
      out.set(tail, head.byteLength);
      return out;
    } catch (cause) {
      throw authFailed(cause);
    }
  }
}

// WebCrypto's types want an ArrayBuffer-backed view; a view of a SharedArrayBuffer is copied.
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : new Uint8Array(bytes);
}

function checkFrame(nonce: Uint8Array, sealed: Uint8Array): void {
  if (nonce.byteLength !== NONCE_SIZE) {
    throw new PilotError("crypto_bad_nonce", `nonce is ${nonce.byteLength} bytes, want ${NONCE_SIZE}`);
  }
  if (sealed.byteLength < TAG_SIZE) {
    throw new PilotError(
      "crypto_auth_failed",
      `sealed data is ${sealed.byteLength} bytes, shorter than the tag`,
    );
  }
}
