import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";
import { fuzzDecoder } from "./_fuzz.ts";
import { decodePacket } from "./packet.ts";
import {
  classifyDatagram,
  decodePila,
  decodePilk,
  decodePilp,
  decodePils,
  decodePilt,
  encodeNonce,
  encodePila,
  encodePilk,
  encodePilp,
  encodePils,
  encodePilsHeader,
  encodePilt,
  encodePiltPacket,
  PILA_SIZE,
  PILK_SIZE,
  PILS_MIN_SIZE,
  PILT_MIN_SIZE,
  readNonceCounter,
  readNonceCounterSafe,
  readNoncePrefix,
} from "./tunnel_frame.ts";
import type { DatagramKind } from "./tunnel_frame.ts";

const hex = (bytes: Uint8Array) => bytes.toHex().toUpperCase();
const bytesOf = (h: string) => Uint8Array.fromHex(h);

// network.md §11.
const TV3 = "11010000000000000001000000000002C00003E800000000000000000200145ED874";
const TV5 = "50494C54" + TV3;
const X25519_A = "8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A";
const ED25519_A = "D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A";
const SIG_A = "880AF5E2CE0D44FC98432C2FF8C867567F42F442CD9E00C298199823844F1E7D" +
  "54C5560C7C7480B2F90855B73178C665295538BD30E521F794C494E793E7610D";
const TV9 = "50494C4B00000001" + X25519_A;
const TV10 = "50494C4100000001" + X25519_A + ED25519_A + SIG_A;
const TV11_NONCE = "A1B2C3D40000000000000001";
const TV11_SEALED = "56DFE3F8D3D878E2A8D87FC3412AFCA4DFC38B354CE7F0E1ECD34717B908C546" +
  "1FCC585A0951448836DEEED10CB8A3DE519C";
const TV11 = "50494C5300000001" + TV11_NONCE + TV11_SEALED;
const PILP = "50494C50";

Deno.test("tunnel frame: TV-5 PILT carries TV-3 and re-encodes byte for byte", () => {
  const frame = bytesOf(TV5);
  assert.equal(frame.byteLength, 38);
  assert.equal(classifyDatagram(frame), "PILT");
  const packetBytes = decodePilt(frame);
  assert.equal(packetBytes.buffer, frame.buffer, "a view, not a copy");
  assert.equal(hex(packetBytes), TV3);
  assert.equal(hex(encodePilt(packetBytes)), TV5);
  assert.equal(hex(encodePiltPacket(decodePacket(packetBytes))), TV5);
});

Deno.test("tunnel frame: TV-9 PILK decodes to node 1 and A's X25519 key and re-encodes", () => {
  const frame = bytesOf(TV9);
  assert.equal(classifyDatagram(frame), "PILK");
  const pilk = decodePilk(frame);
  assert.equal(pilk.senderNode, 1);
  assert.equal(hex(pilk.x25519Public), X25519_A);
  assert.equal(hex(encodePilk(pilk)), TV9);
});

Deno.test("tunnel frame: TV-10 PILA splits at offsets 4, 8, 40 and 72 and re-encodes", () => {
  const frame = bytesOf(TV10);
  assert.equal(frame.byteLength, PILA_SIZE);
  assert.equal(classifyDatagram(frame), "PILA");
  const pila = decodePila(frame);
  assert.equal(pila.senderNode, 1);
  assert.equal(hex(pila.x25519Public), X25519_A);
  assert.equal(hex(pila.ed25519Public), ED25519_A);
  assert.equal(hex(pila.signature), SIG_A);
  assert.equal(pila.signature.buffer, frame.buffer, "a view, not a copy");
  assert.equal(hex(encodePila(pila)), TV10);
});

Deno.test("tunnel frame: TV-11 PILS gives node 1, prefix A1B2C3D4, counter 1 and 50 sealed bytes", () => {
  const frame = bytesOf(TV11);
  assert.equal(frame.byteLength, 70);
  assert.equal(classifyDatagram(frame), "PILS");
  const pils = decodePils(frame);
  assert.equal(pils.senderNode, 1);
  assert.equal(hex(pils.nonce), TV11_NONCE);
  assert.equal(readNoncePrefix(pils.nonce), 0xA1B2C3D4);
  assert.equal(readNonceCounter(pils.nonce), 1n);
  assert.equal(readNonceCounterSafe(pils.nonce), 1);
  assert.equal(hex(pils.sealed), TV11_SEALED);
  assert.equal(hex(encodePils(pils)), TV11);
  assert.equal(hex(encodeNonce(0xA1B2C3D4, 1n)), TV11_NONCE);
  const out = new Uint8Array(70);
  encodePilsHeader(1, pils.nonce, out);
  out.set(pils.sealed, 20);
  assert.equal(hex(out), TV11);
});

Deno.test("tunnel frame: TV-12 PILP punch is 4 bytes of magic", () => {
  assert.equal(classifyDatagram(bytesOf(PILP)), "PILP");
  assert.equal(hex(encodePilp()), PILP);
  decodePilp(bytesOf(PILP));
});

Deno.test("tunnel frame: TV-12 Relay and Relay-Deliver are beacon datagrams whose inner frame is TV-5", () => {
  const relay = bytesOf("050000000100000002" + TV5);
  const deliver = bytesOf("0600000001" + TV5);
  assert.equal(classifyDatagram(relay), "beacon");
  assert.equal(classifyDatagram(deliver), "beacon");
  // Inner frames start after type + node IDs (§3.11); they dispatch by magic like a direct datagram.
  for (const inner of [relay.subarray(9), deliver.subarray(5)]) {
    assert.equal(classifyDatagram(inner), "PILT");
    assert.equal(hex(decodePilt(inner)), TV3);
  }
});

Deno.test("readNonceCounter: reads all 64 bits; the safe form gives up above 2^53 - 1", () => {
  const top = encodeNonce(0, 0xFFFF_FFFF_FFFF_FFFFn);
  assert.equal(hex(top), "00000000FFFFFFFFFFFFFFFF");
  assert.equal(readNonceCounter(top), 0xFFFF_FFFF_FFFF_FFFFn);
  assert.equal(readNonceCounterSafe(top), undefined);
  assert.equal(readNonceCounterSafe(encodeNonce(7, 2n ** 53n - 1n)), Number.MAX_SAFE_INTEGER);
  assert.equal(readNonceCounterSafe(encodeNonce(7, 2n ** 53n)), undefined);
  assert.equal(readNonceCounterSafe(encodeNonce(7, 0x1_0000_0001n)), 0x1_0000_0001);
  assert.throws(() => encodeNonce(0, 2n ** 64n), { code: "proto_invalid_field" });
  assert.throws(() => encodeNonce(-1, 0n), { code: "proto_invalid_field" });
  assert.throws(() => readNonceCounter(new Uint8Array(11)), { code: "proto_invalid_field" });
});

Deno.test("classifyDatagram: follows §3.1 in order", () => {
  const rows: [string, string, DatagramKind][] = [
    ["empty", "", "ignore"],
    ["one beacon byte", "01", "beacon"],
    ["Discover node 5 (TV-12)", "0100000005", "beacon"],
    ["Punch-Command (TV-12)", "04047F0000014B01", "beacon"],
    ["type 0x0F is still beacon", "0F", "beacon"],
    ["type 0x00 is beacon", "00", "beacon"],
    ["0x10 and short", "10", "ignore"],
    ["three magic bytes", "50494C", "ignore"],
    ["unknown magic", "50494C58", "ignore"],
    ["lowercase magic", "70696C74" + TV3, "ignore"],
    ["a bare packet without magic", TV3, "ignore"],
    ["PILT", TV5, "PILT"],
    ["short PILT is still classified PILT", "50494C54", "PILT"],
    ["PILS", TV11, "PILS"],
    ["PILK", TV9, "PILK"],
    ["PILA", TV10, "PILA"],
    ["PILP", PILP, "PILP"],
  ];
  for (const [name, input, kind] of rows) assert.equal(classifyDatagram(bytesOf(input)), kind, name);
});

type Decoder = (bytes: Uint8Array) => unknown;
const DECODERS: [string, Decoder, string][] = [
  ["decodePilt", decodePilt, TV5],
  ["decodePils", decodePils, TV11],
  ["decodePilk", decodePilk, TV9],
  ["decodePila", decodePila, TV10],
  ["decodePilp", decodePilp, PILP],
];

Deno.test("tunnel frame decoders: minimum sizes of §3.1, wrong magic and extra bytes", () => {
  const rows: [Decoder, string, ErrorCode | "ok"][] = [
    [decodePilt, TV5.slice(0, 2 * (PILT_MIN_SIZE - 1)), "proto_truncated"],
    [decodePilt, "50494C54", "proto_truncated"],
    [decodePilt, TV11, "proto_bad_magic"],
    [decodePilt, TV5 + "FFFF", "ok"],
    [decodePils, TV11.slice(0, 2 * (PILS_MIN_SIZE - 1)), "proto_truncated"],
    [decodePils, TV11.slice(0, 2 * PILS_MIN_SIZE), "ok"],
    [decodePils, TV5, "proto_bad_magic"],
    [decodePilk, TV9.slice(0, 2 * (PILK_SIZE - 1)), "proto_truncated"],
    [decodePilk, TV9 + "00", "ok"],
    [decodePilk, TV10, "proto_bad_magic"],
    [decodePila, TV10.slice(0, 2 * (PILA_SIZE - 1)), "proto_truncated"],
    [decodePila, TV9, "proto_bad_magic"],
    [decodePila, TV10 + "0102", "ok"],
    [decodePilp, "50494C", "proto_bad_magic"],
    [decodePilp, "", "proto_bad_magic"],
    [decodePilp, PILP + "00", "ok"],
    [decodePilp, "0100000005", "proto_bad_magic"],
  ];
  for (const [decode, input, expected] of rows) {
    const label = `${decode.name}(${input.slice(0, 24)}… ${input.length / 2} bytes)`;
    if (expected === "ok") {
      decode(bytesOf(input));
      continue;
    }
    assert.throws(() => decode(bytesOf(input)), (err: unknown) => {
      assert.ok(isPilotError(err, expected), `${label}: ${err}`);
      return true;
    });
  }
});

Deno.test("tunnel frame: PILK/PILA ignore extra bytes; PILS keeps trailing junk in the sealed part", () => {
  assert.equal(hex(decodePilk(bytesOf(TV9 + "AABB")).x25519Public), X25519_A);
  assert.equal(hex(decodePila(bytesOf(TV10 + "AABB")).signature), SIG_A);
  assert.equal(hex(decodePils(bytesOf(TV11 + "AABB")).sealed), TV11_SEALED + "AABB");
});

Deno.test("tunnel frame encoders: refuse wrong key, nonce and tag sizes and short buffers", () => {
  const key = new Uint8Array(32);
  assert.throws(() => encodePilk({ senderNode: 1, x25519Public: new Uint8Array(31) }), {
    code: "proto_invalid_field",
  });
  assert.throws(() => encodePilk({ senderNode: -1, x25519Public: key }), { code: "proto_invalid_field" });
  assert.throws(() => encodePilk({ senderNode: 1, x25519Public: key }, new Uint8Array(39)), {
    code: "proto_buffer_too_small",
  });
  const pila = { senderNode: 1, x25519Public: key, ed25519Public: key, signature: new Uint8Array(64) };
  assert.throws(() => encodePila({ ...pila, signature: new Uint8Array(63) }), {
    code: "proto_invalid_field",
  });
  assert.throws(() => encodePila({ ...pila, ed25519Public: new Uint8Array(33) }), {
    code: "proto_invalid_field",
  });
  const pils = { senderNode: 1, nonce: new Uint8Array(12), sealed: new Uint8Array(16) };
  assert.equal(encodePils(pils).byteLength, 36);
  assert.throws(() => encodePils({ ...pils, sealed: new Uint8Array(15) }), { code: "proto_invalid_field" });
  assert.throws(() => encodePils({ ...pils, nonce: new Uint8Array(8) }), { code: "proto_invalid_field" });
  assert.throws(() => encodePilsHeader(1, pils.nonce, new Uint8Array(19)), {
    code: "proto_buffer_too_small",
  });
  assert.throws(() => encodePilp(new Uint8Array(3)), { code: "proto_buffer_too_small" });
});

Deno.test("tunnel frame decoders and classifyDatagram: 100,000 mutated frames each end in a value or a proto_ code", () => {
  const seeds = [TV5, TV11, TV9, TV10, PILP, "0100000005", "04047F0000014B01"].map(bytesOf);
  for (const [name, decode] of DECODERS) {
    const report = fuzzDecoder(name, decode, seeds, { seed: 0x7F, maxLength: 2048 });
    assert.ok(report.accepted > 0 && report.rejected > 0, name);
    // PILP's minimum size is its magic, so it can only fail on the magic.
    const codes = name === "decodePilp" ? ["proto_bad_magic"] : ["proto_bad_magic", "proto_truncated"];
    assert.deepEqual([...report.codes.keys()].sort(), codes, name);
  }
  const kinds = new Set<string>();
  const report = fuzzDecoder("classifyDatagram", classifyDatagram, seeds, {
    seed: 0xC1A,
    maxLength: 2048,
    onDecoded: (kind) => {
      kinds.add(kind);
    },
  });
  assert.equal(report.rejected, 0, "classification never throws");
  assert.deepEqual([...kinds].sort(), ["PILA", "PILK", "PILP", "PILS", "PILT", "beacon", "ignore"]);
});
