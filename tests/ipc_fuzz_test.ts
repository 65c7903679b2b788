/**
 * Seeded random and mutated input through the IPC decoders: every body ends in a message or a
 * PilotError, and every accepted body survives an encode/decode round trip; byte streams of mutated
 * frames cut into random chunks end in events or a PilotError, never another exception or a hang.
 */
import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { fuzzDecoder, mutate, Prng } from "../lib/protocol/_fuzz.ts";
import { encodeFrame, IpcFrameDecoderStream } from "../lib/ipc/frame_stream.ts";
import { decodeIpcMessage, encodeIpcFrame, encodeIpcMessage, type IpcMessage } from "../lib/ipc/messages.ts";

const A = { network: 1, node: 0xdeadbeef };
const SEED_MESSAGES: readonly IpcMessage[] = [
  { kind: "bind", port: 3000 },
  { kind: "dial", address: A, port: 1001 },
  { kind: "accept", localPort: 1000, connId: 4, remoteAddress: A, remotePort: 49154 },
  { kind: "send", connId: 2, data: new Uint8Array(40).fill(7) },
  { kind: "recv_from", srcAddress: A, srcPort: 1, dstPort: 2, data: Uint8Array.of(1, 2, 3) },
  { kind: "error", code: 1, message: "connection 777 not found" },
  { kind: "send_to", address: A, port: 9, data: Uint8Array.of(9) },
  { kind: "handshake", sub: "request", nodeId: 2, justification: "direct hello" },
  { kind: "handshake", sub: "pending" },
  { kind: "set_tags", tags: ["#ml", "gpu"] },
  { kind: "set_visibility", public: true },
  {
    kind: "info_ok",
    json: { address: "0:0000.0000.0001", conn_list: [], node_id: 1, peer_list: [{ node_id: 2 }] },
  },
  { kind: "resolve_hostname", hostname: "agent-b" },
];
const SEEDS = SEED_MESSAGES.map(encodeIpcMessage);

Deno.test("ipc fuzz: 100,000 random and mutated bodies each decode or fail with a PilotError", () => {
  const report = fuzzDecoder("decodeIpcMessage", decodeIpcMessage, SEEDS, {
    count: 100_000,
    seed: 0x1bc,
    maxLength: 4096,
    onDecoded: (msg) => assert.deepEqual(decodeIpcMessage(encodeIpcMessage(msg)), msg),
  });
  assert.ok(report.accepted > 1000, `accepted ${report.accepted}`);
  assert.ok(report.rejected > 1000, `rejected ${report.rejected}`);
  for (const code of ["ipc_truncated", "ipc_unknown_command", "ipc_bad_json"]) {
    assert.ok((report.codes.get(code) ?? 0) > 0, `saw ${code}: ${[...report.codes]}`);
  }
});

Deno.test("ipc fuzz: mutated frame streams in random chunks end in events or a PilotError", async () => {
  const rng = new Prng(7);
  const frames = SEED_MESSAGES.map(encodeIpcFrame);
  let bodies = 0;
  let failures = 0;
  for (let run = 0; run < 5000; run++) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      // Mostly mutated bodies under a correct prefix, so a stream stays in sync long enough to be
      // interesting; now and then a mutated prefix that desynchronises or truncates the rest.
      const roll = rng.below(40);
      if (roll === 0) parts.push(mutate(rng, rng.pick(frames), { maxLength: 8192 }));
      else if (roll < 12) parts.push(encodeFrame(mutate(rng, rng.pick(SEEDS), { maxLength: 8192 })));
      else parts.push(rng.pick(frames));
    }
    const stream = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of parts) {
      stream.set(p, offset);
      offset += p.byteLength;
    }
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < stream.byteLength;) {
      const size = 1 + rng.below(rng.below(2) === 0 ? 8 : 512);
      chunks.push(stream.slice(at, at + size));
      at += size;
    }
    const decoder = new IpcFrameDecoderStream({ onOversized: rng.below(2) === 0 ? "skip" : "error" });
    try {
      for await (const event of ReadableStream.from(chunks).pipeThrough(decoder)) {
        if (event.type !== "body") continue;
        bodies++;
        try {
          decodeIpcMessage(event.body);
        } catch (err) {
          if (!isPilotError(err)) throw err;
        }
      }
    } catch (err) {
      assert.ok(isPilotError(err), `run ${run}: ${err}`);
      failures++;
    }
  }
  assert.ok(bodies >= 50_000, `bodies ${bodies}`);
  assert.ok(failures > 0, "some streams were broken by mutation");
});
