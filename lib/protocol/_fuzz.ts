/**
 * A small deterministic fuzz driver for decoders, for tests only (not exported from mod.ts). It feeds a
 * decoder random inputs and mutations of valid seed inputs and asserts that every call either returns
 * or throws a {@linkcode PilotError}: any other exception (a `RangeError` from a DataView, a
 * `TypeError` from reading `undefined`) is a bug and fails the run with the input that caused it.
 *
 * Runs are reproducible: the same `seed` gives the same inputs on every machine.
 *
 * @example
 * ```ts
 * import { fuzzDecoder } from "./_fuzz.ts";
 * import { decodePacket } from "./packet.ts";
 * const seed = Uint8Array.fromHex("11010000000000000001000000000002C00003E800000000000000000200145ED874");
 * const report = fuzzDecoder("decodePacket", decodePacket, [seed], { count: 1000, seed: 1 });
 * if (report.accepted + report.rejected !== 1000) throw new Error("every input ran");
 * ```
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { concatBytes } from "../streams/mod.ts";

/**
 * Mulberry32: a fast 32-bit PRNG with a 32-bit state. Not for cryptography; good enough to pick
 * mutations, and tiny enough to be obviously deterministic.
 */
export class Prng {
  #state: number;

  /** Starts the sequence at `seed` (any number; only its low 32 bits count). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Next uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    this.#state = (this.#state + 0x6D2B79F5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in `0 .. max-1` (`max` ≥ 1). */
  below(max: number): number {
    return Math.floor((this.nextU32() / 0x1_0000_0000) * max);
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.nextU32() & 0xFF;
    return out;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.below(items.length)];
    if (item === undefined) throw new Error("pick from an empty array");
    return item;
  }
}

// Values that sit on boundaries decoders tend to get wrong: zero, sign bits, all ones, the beacon/magic
// split (0x0F/0x10) and the ASCII of the frame magics.
const INTERESTING_BYTES = [0x00, 0x01, 0x04, 0x05, 0x0F, 0x10, 0x7F, 0x80, 0xFF, 0x50, 0x53, 0x3A, 0x2E];
const INTERESTING_U16 = [0x0000, 0x0001, 0x7FFF, 0x8000, 0xFFFF, 0x0022, 0x1000];

/** Options of {@linkcode mutate}. */
export interface MutateOptions {
  /** Longest input produced, in bytes; extensions stop there. Default 70,000 (a bit over a datagram). */
  maxLength?: number;
  /** Mutations stacked on one input: 1 .. this. Default 4. */
  maxMutations?: number;
  /**
   * Text pieces also spliced in at random places, such as {@linkcode JSON_FRAGMENTS} for a JSON
   * decoder; none by default (and then the sequence of mutations for a seed is as without the option).
   */
  fragments?: readonly string[];
}

/** Pieces of JSON that trip parsers and validators: lone brackets, escapes, extreme numbers, a BOM. */
export const JSON_FRAGMENTS: readonly string[] = [
  "",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  '"',
  "\\",
  "null",
  "true",
  "0",
  "-1",
  "1e999",
  "4294967296",
  "\u0000",
  '"x"',
  "[]",
  "{}",
  '"\\ud800"',
  "\ufeff",
  "1.5",
  "NaN",
];

/**
 * A mutated copy of `input` (never `input` itself): bit flips, byte replacements (random or boundary
 * values), 16-bit boundary values, truncation, extension, insertion, deletion and chunk duplication,
 * and with `fragments`, splices of text.
 */
export function mutate(rng: Prng, input: Uint8Array, options: MutateOptions = {}): Uint8Array {
  const maxLength = options.maxLength ?? 70_000;
  let bytes: Uint8Array = input.slice();
  const rounds = 1 + rng.below(options.maxMutations ?? 4);
  const fragments = options.fragments ?? [];
  for (let round = 0; round < rounds; round++) {
    const n = bytes.byteLength;
    const at = n === 0 ? 0 : rng.below(n);
    const kind = rng.below(fragments.length === 0 ? 9 : 10);
    if (kind === 9) { // splice in a text fragment
      const piece = new TextEncoder().encode(rng.pick(fragments));
      if (n + piece.byteLength <= maxLength) {
        bytes = concatBytes([bytes.subarray(0, at), piece, bytes.subarray(at)]);
      }
      continue;
    }
    switch (kind) {
      case 0: // flip one bit
        if (n > 0) bytes[at] ^= 1 << rng.below(8);
        break;
      case 1: // random byte
        if (n > 0) bytes[at] = rng.nextU32() & 0xFF;
        break;
      case 2: // boundary byte
        if (n > 0) bytes[at] = rng.pick(INTERESTING_BYTES);
        break;
      case 3: { // boundary 16-bit value, big-endian, as length fields are
        if (n > 1) {
          const value = rng.pick(INTERESTING_U16);
          const where = rng.below(n - 1);
          bytes[where] = value >>> 8;
          bytes[where + 1] = value & 0xFF;
        }
        break;
      }
      case 4: // truncate
        bytes = bytes.slice(0, rng.below(n + 1));
        break;
      case 5: { // extend with random bytes, sometimes a lot
        const extra = Math.min(maxLength - n, rng.below(4) === 0 ? rng.below(4096) : rng.below(16));
        if (extra > 0) bytes = concatBytes([bytes, rng.bytes(extra)]);
        break;
      }
      case 6: // insert one byte
        if (n < maxLength) {
          bytes = concatBytes([
            bytes.subarray(0, at),
            Uint8Array.of(rng.nextU32() & 0xFF),
            bytes.subarray(at),
          ]);
        }
        break;
      case 7: // delete a run
        if (n > 0) {
          bytes = concatBytes([bytes.subarray(0, at), bytes.subarray(Math.min(n, at + 1 + rng.below(8)))]);
        }
        break;
      default: { // duplicate a chunk in place
        const length = Math.min(1 + rng.below(16), n - at, maxLength - n);
        if (length > 0) bytes = concatBytes([bytes.subarray(0, at + length), bytes.subarray(at)]);
        break;
      }
    }
  }
  return bytes;
}

/** Options of {@linkcode fuzzDecoder}. */
export interface FuzzOptions<T> extends MutateOptions {
  /** Inputs to run. Default 100,000. */
  count?: number;
  /** PRNG seed; change it to explore, keep it fixed in tests. Default 1. */
  seed?: number;
  /** Share of purely random inputs (not mutations), 0..1. Default 0.1. */
  randomShare?: number;
  /** Longest purely random input. Default 256 bytes. */
  maxRandomLength?: number;
  /**
   * Called after each successful decode; throw to fail the run (for example, re-encode and compare).
   * The decoded value may hold views into `input`.
   */
  onDecoded?: (value: T, input: Uint8Array) => void;
}

/** What a run saw; tests assert both counts are non-zero, so the run cannot pass by doing nothing. */
export interface FuzzReport {
  /** Inputs the decoder accepted. */
  accepted: number;
  /** Inputs rejected with a PilotError. */
  rejected: number;
  /** Rejections per error code. */
  codes: Map<string, number>;
  /** Wall time of the run. */
  elapsedMs: number;
}

/**
 * Runs `decode` on `count` inputs made from `seeds` and returns what happened. Throws an `Error` naming
 * `name`, the input index and its hex on the first exception that is not a `PilotError`, or when
 * `onDecoded` throws.
 */
export function fuzzDecoder<T>(
  name: string,
  decode: (bytes: Uint8Array) => T,
  seeds: readonly Uint8Array[],
  options: FuzzOptions<T> = {},
): FuzzReport {
  const count = options.count ?? 100_000;
  const rng = new Prng(options.seed ?? 1);
  const randomShare = options.randomShare ?? 0.1;
  const maxRandom = options.maxRandomLength ?? 256;
  const codes = new Map<string, number>();
  let accepted = 0;
  let rejected = 0;
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const input = seeds.length === 0 || rng.nextU32() / 0x1_0000_0000 < randomShare
      ? rng.bytes(rng.below(maxRandom + 1))
      : mutate(rng, rng.pick(seeds), options);
    let value: T;
    try {
      value = decode(input);
    } catch (err) {
      if (err instanceof PilotError) {
        rejected++;
        codes.set(err.code, (codes.get(err.code) ?? 0) + 1);
        continue;
      }
      throw new Error(
        `${name}: input #${i} threw a non-PilotError: ${describe(err)}\ninput: ${hexOf(input)}`,
        {
          cause: err,
        },
      );
    }
    accepted++;
    if (options.onDecoded !== undefined) {
      try {
        options.onDecoded(value, input);
      } catch (err) {
        throw new Error(`${name}: check failed on input #${i}: ${describe(err)}\ninput: ${hexOf(input)}`, {
          cause: err,
        });
      }
    }
  }
  return { accepted, rejected, codes, elapsedMs: performance.now() - started };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function hexOf(bytes: Uint8Array): string {
  const shown = bytes.byteLength > 512 ? bytes.subarray(0, 512) : bytes;
  const suffix = bytes.byteLength > 512 ? `... (${bytes.byteLength} bytes)` : "";
  return shown.toHex() + suffix;
}
