/**
 * Every captured tunnel datagram in shared/vectors (tunnel-plaintext.json, both runs, and
 * tunnel-encrypted.json) is classified, decoded against the capture's own decoded note, and re-encoded
 * byte for byte. `(omitted)` placeholders of the trimmed FIN|ACK storm carry no bytes and are skipped.
 */

import assert from "node:assert/strict";
import {
  classifyDatagram,
  decodePacket,
  decodePila,
  decodePilk,
  decodePilp,
  decodePils,
  decodePilt,
  encodePila,
  encodePilk,
  encodePilp,
  encodePils,
  encodePiltPacket,
  formatFlags,
  formatSocketAddress,
  packetChecksum,
  readNonceCounter,
  readNoncePrefix,
} from "../lib/protocol/mod.ts";
import type { DatagramKind } from "../lib/protocol/mod.ts";

interface CapturedFrame {
  index: number;
  hex: string;
  note: string;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null
    ? Object.getOwnPropertyDescriptor(value, key)?.value
    : undefined;
}

/** Reads `frames` of a run: entries with `hex` and `note`, skipping `(omitted)` placeholders. */
function framesOf(run: unknown, where: string): { frames: CapturedFrame[]; omitted: number } {
  const list = field(run, "frames");
  if (!Array.isArray(list)) throw new Error(`${where}: frames is not an array`);
  const frames: CapturedFrame[] = [];
  let omitted = 0;
  list.forEach((entry: unknown, index) => {
    const note = field(entry, "note");
    const hex = field(entry, "hex");
    if (typeof note !== "string") throw new Error(`${where}[${index}]: note is not a string`);
    if (field(entry, "direction") === "(omitted)") {
      assert.equal(hex, undefined, `${where}[${index}]: a placeholder has no bytes`);
      omitted++;
      return;
    }
    if (typeof hex !== "string") throw new Error(`${where}[${index}]: hex is not a string`);
    frames.push({ index, hex, note });
  });
  return { frames, omitted };
}

async function load(name: string): Promise<unknown> {
  return JSON.parse(await Deno.readTextFile(new URL(`../../shared/vectors/${name}`, import.meta.url)));
}

const PROTOCOL_NAMES: Record<string, number> = { stream: 1, datagram: 2, control: 3 };
const PILT_NOTE = new RegExp(
  String.raw`^PILT plaintext: packet v(\d+) flags=(\S+) proto=(\S+) payload_len=(\d+) src=(\S+) dst=(\S+) ` +
    String.raw`seq=(\d+) ack=(\d+) window=(\d+) crc32=0x([0-9a-f]{8})\(ok\)`,
);
const PILA_NOTE = /^PILA authenticated key exchange: node_id=(\d+) x25519=([0-9a-f]{64}) ed25519=(\S+) /;
const PILS_NOTE =
  /^PILS encrypted: sender node_id=(\d+) nonce=([0-9a-f]{24}) \(prefix ([0-9a-f]{8}), counter (\d+)\) ciphertext\+tag=(\d+) bytes/;
const PILK_NOTE = /^PILK .*node_id=(\d+) x25519=([0-9a-f]{64})/;

/** The kind the capture's note names, read independently of our classifier. */
function kindFromNote(note: string): DatagramKind {
  for (const kind of ["PILT", "PILS", "PILK", "PILA", "PILP"] as const) {
    if (note.startsWith(`${kind} `)) return kind;
  }
  throw new Error(`note names no frame type: ${note}`);
}

function match(pattern: RegExp, note: string): string[] {
  const m = pattern.exec(note);
  if (m === null) throw new Error(`note does not have the expected form: ${note}`);
  return m.slice(1);
}

/** Checks one captured datagram and returns its kind. */
function checkFrame(frame: CapturedFrame, where: string): DatagramKind {
  const label = `${where}[${frame.index}]`;
  const bytes = Uint8Array.fromHex(frame.hex);
  const hex = frame.hex.toUpperCase();
  const kind = classifyDatagram(bytes);
  assert.equal(kind, kindFromNote(frame.note), label);
  switch (kind) {
    case "PILT": {
      const [version, flags, proto, length, src, dst, seq, ack, window, crc] = match(PILT_NOTE, frame.note);
      const packetBytes = decodePilt(bytes);
      const packet = decodePacket(packetBytes);
      assert.equal(packet.version, Number(version), label);
      assert.equal(formatFlags(packet.flags), flags, label);
      assert.equal(packet.protocol, PROTOCOL_NAMES[proto], label);
      assert.equal(packet.payload.byteLength, Number(length), label);
      assert.equal(formatSocketAddress({ address: packet.src, port: packet.srcPort }), src, label);
      assert.equal(formatSocketAddress({ address: packet.dst, port: packet.dstPort }), dst, label);
      assert.equal(packet.seq, Number(seq), label);
      assert.equal(packet.ack, Number(ack), label);
      assert.equal(packet.window, Number(window), label);
      assert.equal(packetChecksum(packetBytes), parseInt(crc, 16), label);
      assert.equal(encodePiltPacket(packet).toHex().toUpperCase(), hex, label);
      break;
    }
    case "PILA": {
      const [node, x25519, ed25519] = match(PILA_NOTE, frame.note);
      const pila = decodePila(bytes);
      assert.equal(pila.senderNode, Number(node), label);
      assert.equal(pila.x25519Public.toHex(), x25519, label);
      assert.equal(pila.ed25519Public.toBase64(), ed25519, label);
      assert.equal(pila.signature.byteLength, 64, label);
      assert.equal(encodePila(pila).toHex().toUpperCase(), hex, label);
      break;
    }
    case "PILS": {
      const [node, nonce, prefix, counter, sealedLength] = match(PILS_NOTE, frame.note);
      const pils = decodePils(bytes);
      assert.equal(pils.senderNode, Number(node), label);
      assert.equal(pils.nonce.toHex(), nonce, label);
      assert.equal(readNoncePrefix(pils.nonce), parseInt(prefix, 16), label);
      assert.equal(readNonceCounter(pils.nonce), BigInt(counter), label);
      assert.equal(pils.sealed.byteLength, Number(sealedLength), label);
      assert.equal(encodePils(pils).toHex().toUpperCase(), hex, label);
      break;
    }
    case "PILK": {
      const [node, x25519] = match(PILK_NOTE, frame.note);
      const pilk = decodePilk(bytes);
      assert.equal(pilk.senderNode, Number(node), label);
      assert.equal(pilk.x25519Public.toHex(), x25519, label);
      assert.equal(encodePilk(pilk).toHex().toUpperCase(), hex, label);
      break;
    }
    case "PILP":
      decodePilp(bytes);
      assert.equal(encodePilp().toHex().toUpperCase(), hex, label);
      break;
    case "beacon":
    case "ignore":
      throw new Error(`${label}: a daemon-to-daemon capture classified as ${kind}`);
  }
  return kind;
}

function tally(kinds: DatagramKind[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of kinds) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

Deno.test("vectors: every frame of the plaintext run decodes as its note says and re-encodes byte for byte", async () => {
  const data = await load("tunnel-plaintext.json");
  const { frames, omitted } = framesOf(data, "frames");
  assert.equal(omitted, 0);
  assert.deepEqual(tally(frames.map((f) => checkFrame(f, "frames"))), { PILP: 3, PILT: 45 });
});

Deno.test("vectors: every frame of the direct-handshake run decodes and re-encodes byte for byte", async () => {
  const data = await load("tunnel-plaintext.json");
  const where = "direct_handshake_run.frames";
  const { frames } = framesOf(field(data, "direct_handshake_run"), where);
  assert.deepEqual(tally(frames.map((f) => checkFrame(f, where))), { PILP: 3, PILT: 64 });
});

Deno.test("vectors: every frame of the encrypted run decodes and re-encodes; (omitted) entries are skipped", async () => {
  const data = await load("tunnel-encrypted.json");
  const { frames, omitted } = framesOf(data, "frames");
  assert.equal(omitted, 9);
  assert.deepEqual(tally(frames.map((f) => checkFrame(f, "frames"))), {
    PILA: 4,
    PILP: 6,
    PILS: 23,
    PILT: 1,
  });
});
