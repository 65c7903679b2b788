/**
 * Packet codec and checksum speed, each group beside a raw baseline of the same run: a memcpy of the
 * same size plus the DataView reads a decoder cannot avoid. Run: `deno bench lib/protocol/packet_bench.ts`.
 */

import { crc32, packetChecksum } from "./checksum.ts";
import { decodePacket, encodePacket } from "./packet.ts";
import type { Packet } from "./packet.ts";

function packetWith(payloadSize: number): Packet {
  const payload = new Uint8Array(payloadSize);
  for (let i = 0; i < payloadSize; i++) payload[i] = (i * 31) & 0xFF;
  return {
    version: 1,
    flags: 0x2,
    protocol: 0x01,
    src: { network: 0, node: 1 },
    dst: { network: 0, node: 2 },
    srcPort: 49152,
    dstPort: 1001,
    seq: 1,
    ack: 1,
    window: 512,
    payload,
  };
}

// Results feed this so the JIT cannot drop the work as dead code.
let sink = 0;

/** The least any codec must do: copy the bytes and read the header fields back. */
function rawCopyAndRead(source: Uint8Array, target: Uint8Array): void {
  target.set(source);
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  sink ^= view.getUint32(20) ^ view.getUint32(24) ^ view.getUint16(28) ^ view.getUint32(30);
}

const header = packetWith(0);
const headerBytes = encodePacket(header);
const headerOut = new Uint8Array(34);

Deno.bench("raw: 34-byte copy + DataView reads", { group: "packet", baseline: true }, () => {
  rawCopyAndRead(headerBytes, headerOut);
});

Deno.bench("encode + decode a 34-byte header", { group: "packet" }, () => {
  sink ^= decodePacket(encodePacket(header, headerOut)).seq;
});

const segment = packetWith(4096);
const segmentBytes = encodePacket(segment);
const segmentOut = new Uint8Array(34 + 4096);

Deno.bench("raw: 4130-byte copy + DataView reads", { group: "segment", baseline: true }, () => {
  rawCopyAndRead(segmentBytes, segmentOut);
});

Deno.bench("encode + decode a 4096-byte segment", { group: "segment" }, () => {
  sink ^= decodePacket(encodePacket(segment, segmentOut)).payload.byteLength;
});

Deno.bench("decode a 4096-byte segment", { group: "segment" }, () => {
  sink ^= decodePacket(segmentBytes).seq;
});

const block = segment.payload;
const blockOut = new Uint8Array(4096);

Deno.bench("raw: 4 KiB copy", { group: "crc32", baseline: true }, () => {
  blockOut.set(block);
  sink ^= blockOut[4095];
});

Deno.bench("crc32 of 4 KiB", { group: "crc32" }, () => {
  sink ^= crc32(block);
});

Deno.bench("packetChecksum of a 4096-byte segment", { group: "crc32" }, () => {
  sink ^= packetChecksum(segmentBytes);
});

Deno.bench("crc32 of 34 bytes (table path)", { group: "crc32" }, () => {
  sink ^= crc32(headerBytes);
});
