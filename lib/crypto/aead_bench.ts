/**
 * AES-256-GCM seal+open of 4 KiB segments along each path of aead.ts. Every iteration is a batch of 64
 * segments (256 KiB of plaintext), so MB/s = 0.262 / (time per iteration in ms) × 1000. The baseline is a
 * WebCrypto SHA-256 of the same 64 segments with all digests in flight (the same async-hop cost model);
 * memcpy shows the floor. For MB/s lines, run scripts/bench/crypto_throughput.ts.
 *
 * Caveat seen on this machine: under Deno.bench, async WebCrypto entries late in the file show 0.1–4 s
 * outliers and the early in-flight entries look several times faster than in a plain loop; the plain
 * script does not show either, so take its MB/s figures as the reference.
 */

import { createHash } from "node:crypto";
import { TunnelCipher } from "./aead.ts";
import { SealStream } from "./seal_stream.ts";

const SEGMENT = 4096;
const BATCH = 64;
const segments = Array.from({ length: BATCH }, () => crypto.getRandomValues(new Uint8Array(SEGMENT)));
const cipher = new TunnelCipher(crypto.getRandomValues(new Uint8Array(32)));
await cipher.seal(new Uint8Array(1)); // import the WebCrypto key outside the timed part
const group = "4 KiB segments, batch of 64";

async function pipelined(inFlight: number): Promise<void> {
  for (let i = 0; i < BATCH; i += inFlight) {
    const frames = await Promise.all(segments.slice(i, i + inFlight).map((s) => cipher.seal(s)));
    await Promise.all(frames.map((f) => cipher.open(f.nonce, f.sealed)));
  }
}

Deno.bench({
  name: "SHA-256 WebCrypto x64, all in flight",
  group,
  baseline: true,
  fn: async () => {
    await Promise.all(segments.map((s) => crypto.subtle.digest("SHA-256", s)));
  },
});

Deno.bench({
  name: "SHA-256 WebCrypto x64, one at a time",
  group,
  fn: async () => {
    for (const s of segments) await crypto.subtle.digest("SHA-256", s);
  },
});

Deno.bench({
  name: "SHA-256 node:crypto sync x64",
  group,
  fn: () => {
    for (const s of segments) createHash("sha256").update(s).digest();
  },
});

Deno.bench({
  name: "memcpy 4 KiB x64",
  group,
  fn: () => {
    const out = new Uint8Array(SEGMENT);
    for (const s of segments) out.set(s);
  },
});

Deno.bench({
  name: "seal+open WebCrypto x64, await each",
  group,
  fn: async () => {
    for (const s of segments) {
      const f = await cipher.seal(s);
      await cipher.open(f.nonce, f.sealed);
    }
  },
});

Deno.bench({ name: "seal+open WebCrypto x64, 16 in flight", group, fn: () => pipelined(16) });
Deno.bench({ name: "seal+open WebCrypto x64, 64 in flight", group, fn: () => pipelined(64) });

// Seal only: under Deno.bench (not in a plain script), a SealStream run followed by 64 opens in flight
// shows 0.1–2 s outliers, so the stream is compared with the same seal-only work done by hand.
Deno.bench({
  name: "seal only WebCrypto x64, 32 in flight",
  group,
  fn: async () => {
    for (let i = 0; i < BATCH; i += 32) {
      await Promise.all(segments.slice(i, i + 32).map((s) => cipher.seal(s)));
    }
  },
});

Deno.bench({
  name: "seal only SealStream(32) x64",
  group,
  fn: async () => {
    await Array.fromAsync(ReadableStream.from(segments).pipeThrough(new SealStream(cipher)));
  },
});

Deno.bench({
  name: "seal+open node:crypto sync x64",
  group,
  fn: () => {
    for (const s of segments) {
      const f = cipher.sealSync(s);
      cipher.openSync(f.nonce, f.sealed);
    }
  },
});
