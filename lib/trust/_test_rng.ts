/**
 * Test-only: a small seeded generator (mulberry32) and byte/JSON mutators for the fuzz runs, so a failure
 * reproduces from its seed.
 *
 * @module
 */

/** A deterministic generator of integers. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
}

const JSON_SNIPPETS = [
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

/** A mutated copy of `input`: byte flips, cuts, insertions and JSON-ish splices. */
export function mutate(rng: SeededRandom, input: Uint8Array): Uint8Array {
  let bytes = new Uint8Array(input);
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = bytes.byteLength === 0 ? 0 : rng.int(bytes.byteLength);
    switch (rng.int(6)) {
      case 0: // flip bits of one byte
        if (bytes.byteLength > 0) bytes[at] ^= 1 << rng.int(8);
        break;
      case 1: // random byte
        if (bytes.byteLength > 0) bytes[at] = rng.int(256);
        break;
      case 2: // truncate
        bytes = bytes.slice(0, at);
        break;
      case 3: { // delete a run
        const end = Math.min(bytes.byteLength, at + 1 + rng.int(16));
        bytes = new Uint8Array([...bytes.subarray(0, at), ...bytes.subarray(end)]);
        break;
      }
      case 4: { // splice in a JSON fragment
        const piece = new TextEncoder().encode(rng.pick(JSON_SNIPPETS));
        bytes = new Uint8Array([...bytes.subarray(0, at), ...piece, ...bytes.subarray(at)]);
        break;
      }
      default: { // duplicate a run (may grow past the size limit)
        const end = Math.min(bytes.byteLength, at + 1 + rng.int(64));
        const run = bytes.slice(at, end);
        const copies = 1 + rng.int(80);
        const parts = [bytes.subarray(0, end)];
        for (let i = 0; i < copies; i++) parts.push(run);
        parts.push(bytes.subarray(end));
        const total = parts.reduce((n, p) => n + p.byteLength, 0);
        const out = new Uint8Array(total);
        let offset = 0;
        for (const p of parts) {
          out.set(p, offset);
          offset += p.byteLength;
        }
        bytes = out;
      }
    }
  }
  return bytes;
}
