import { deepEqual, equal } from "node:assert/strict";
import { decodeSack } from "../protocol/mod.ts";
import { SendBuffer } from "./send_buffer.ts";

const OPTION = [0x53, 0x41, 0x43, 0x4B, 1, 0, 0, 0, 1, 0, 0, 0, 2];

function cutAll(buffer: SendBuffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let s = buffer.cut(); s !== undefined; s = buffer.cut()) out.push(s);
  return out;
}

Deno.test("send buffer: a full segment is ended a byte early when the next would start like a SACK option (Q4)", () => {
  const buffer = new SendBuffer(1 << 20);
  const bytes = new Uint8Array(4096 + 13);
  bytes.set(OPTION, 4096);
  buffer.append(bytes);
  const segments = cutAll(buffer);
  deepEqual(segments.map((s) => s.byteLength), [4095, 14]);
  for (const s of segments) equal(decodeSack(s), undefined);
});

Deno.test("send buffer: a segment that begins like a SACK option is cut before the option is complete (Q4)", () => {
  const buffer = new SendBuffer(1 << 20);
  buffer.append(Uint8Array.from([...OPTION, ...OPTION, 0x41]));
  const segments = cutAll(buffer);
  deepEqual(segments.map((s) => s.byteLength), [12, 15]);
  for (const s of segments) equal(decodeSack(s), undefined);
  equal(segments.reduce((n, s) => n + s.byteLength, 0), 27);
});

Deno.test("send buffer: segments span several writes, acknowledge removes whole segments only", () => {
  const buffer = new SendBuffer(10_000);
  equal(buffer.append(new Uint8Array(3000).fill(1)), 3000);
  equal(buffer.append(new Uint8Array(3000).fill(2)), 3000);
  const first = buffer.cut();
  equal(first?.byteLength, 4096);
  equal(first?.[2999], 1);
  equal(first?.[3000], 2);
  buffer.track(1, first ?? new Uint8Array(0), 0);
  equal(buffer.freeBytes, 4000);
  equal(buffer.append(new Uint8Array(5000)), 4000, "bounded by capacity");
  deepEqual(buffer.acknowledge(4000).removed, []);
  equal(buffer.acknowledge(4097).removed.length, 1);
  equal(buffer.inFlightBytes, 0);
});

Deno.test("send buffer: SACK marks only segments lying wholly inside a block and are cleared on advance", () => {
  const buffer = new SendBuffer(1 << 20);
  buffer.append(new Uint8Array(300));
  for (let seq = 1; seq < 301; seq += 100) {
    buffer.append(new Uint8Array(0));
  }
  const a = new Uint8Array(100);
  buffer.track(1, a, 0);
  buffer.track(101, a, 0);
  buffer.track(201, a, 0);
  equal(buffer.markSacked([{ left: 101, right: 250 }]), 1);
  equal(buffer.firstUnsacked()?.seq, 1);
  buffer.acknowledge(101);
  equal(buffer.firstUnsacked()?.seq, 101, "marks cleared by the cumulative advance");
});
