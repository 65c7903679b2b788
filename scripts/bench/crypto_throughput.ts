/**
 * MB/s of the tunnel cipher paths (lib/crypto/aead.ts) on 4 KiB segments, each measured for ~1.5 s and
 * printed with its ratio to a WebCrypto SHA-256 of the same bytes (64 digests in flight), a baseline
 * with the same async-hop cost model. Seal+open pairs count the plaintext once. MB = 10^6 bytes.
 *
 * Usage: `deno run scripts/bench/crypto_throughput.ts` (no permissions needed).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { TunnelCipher } from "../../lib/crypto/aead.ts";
import { SealStream } from "../../lib/crypto/seal_stream.ts";
import { printLine } from "../_out.ts";

const SEGMENT = 4096;
const BATCH = 64;
const DURATION_MS = 1500;
const segments = Array.from({ length: BATCH }, () => crypto.getRandomValues(new Uint8Array(SEGMENT)));
const cipher = new TunnelCipher(crypto.getRandomValues(new Uint8Array(32)));

/** Runs `batch` (which processes all 64 segments) repeatedly for DURATION_MS; returns MB/s. */
async function measure(batch: () => Promise<void> | void): Promise<number> {
  await batch(); // warm-up (key import, JIT)
  const start = performance.now();
  let batches = 0;
  while (performance.now() - start < DURATION_MS) {
    await batch();
    batches++;
  }
  const elapsedMs = performance.now() - start;
  return (batches * BATCH * SEGMENT) / (elapsedMs * 1000);
}

async function inFlight(width: number): Promise<void> {
  for (let i = 0; i < BATCH; i += width) {
    const frames = await Promise.all(segments.slice(i, i + width).map((s) => cipher.seal(s)));
    await Promise.all(frames.map((f) => cipher.open(f.nonce, f.sealed)));
  }
}

const cases: [string, () => Promise<void> | void][] = [
  ["memcpy 4 KiB", () => {
    const out = new Uint8Array(SEGMENT);
    for (const s of segments) out.set(s);
  }],
  ["SHA-256 node:crypto sync", () => {
    for (const s of segments) createHash("sha256").update(s).digest();
  }],
  ["seal+open WebCrypto, await each", async () => {
    for (const s of segments) {
      const f = await cipher.seal(s);
      await cipher.open(f.nonce, f.sealed);
    }
  }],
  ["seal+open WebCrypto, 16 in flight", () => inFlight(16)],
  ["seal+open WebCrypto, 64 in flight", () => inFlight(64)],
  ["seal SealStream(32) + open 64 in flight", async () => {
    const frames = await Array.fromAsync(ReadableStream.from(segments).pipeThrough(new SealStream(cipher)));
    await Promise.all(frames.map((f) => cipher.open(f.nonce, f.sealed)));
  }],
  ["seal+open node:crypto sync", () => {
    for (const s of segments) {
      const f = cipher.sealSync(s);
      cipher.openSync(f.nonce, f.sealed);
    }
  }],
];

const baseline = await measure(async () => {
  await Promise.all(segments.map((s) => crypto.subtle.digest("SHA-256", s)));
});
const line = (name: string, mbps: number) =>
  printLine(
    `${name.padEnd(42)} ${mbps.toFixed(1).padStart(9)} MB/s  ${(mbps / baseline).toFixed(2).padStart(7)}x`,
  );
printLine(`4 KiB segments, batches of ${BATCH}, ~${DURATION_MS / 1000} s each; ratio to the baseline`);
line("baseline: SHA-256 WebCrypto, 64 in flight", baseline);
for (const [name, batch] of cases) line(name, await measure(batch));
