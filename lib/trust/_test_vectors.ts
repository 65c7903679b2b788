/**
 * Test-only: the captured port-444 messages and the throwaway identities of the direct-handshake run
 * (shared/vectors/tunnel-plaintext.json), read by hand from the JSON file.
 *
 * @module
 */

import { Ed25519Signer } from "../crypto/mod.ts";

/** A captured handshake message: the JSON bytes of one port-444 data packet. */
export interface CapturedMessage {
  /** Which daemon sent it ("daemonA" / "daemonB"). */
  from: string;
  bytes: Uint8Array;
}

/** A throwaway identity of the capture. */
export interface CapturedIdentity {
  nodeId: number;
  publicKey: string;
  signer: Ed25519Signer;
}

/** Offset of the payload in a PILT frame: 4-byte magic plus the 34-byte packet header. */
const PILT_PAYLOAD_OFFSET = 38;

const VECTORS = new URL("../../../shared/vectors/tunnel-plaintext.json", import.meta.url);

function field(value: unknown, key: string): unknown {
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) {
    throw new Error(`vector file: missing ${key}`);
  }
  return Reflect.get(value, key);
}

function text(value: unknown, key: string): string {
  const v = field(value, key);
  if (typeof v !== "string") throw new Error(`vector file: ${key} is not a string`);
  return v;
}

async function directRun(): Promise<unknown> {
  return field(JSON.parse(await Deno.readTextFile(VECTORS)), "direct_handshake_run");
}

/** The port-444 messages of the direct-handshake run, in capture order. */
export async function capturedHandshakeMessages(): Promise<CapturedMessage[]> {
  const frames = field(await directRun(), "frames");
  if (!Array.isArray(frames)) throw new Error("vector file: frames is not a list");
  const out: CapturedMessage[] = [];
  for (const frame of frames) {
    if (!text(frame, "note").includes("handshake message JSON")) continue;
    const bytes = Uint8Array.fromHex(text(frame, "hex")).subarray(PILT_PAYLOAD_OFFSET);
    out.push({ from: text(frame, "from"), bytes });
  }
  return out;
}

/** Identities A (node 1) and B (node 2) of the direct-handshake run. */
export async function capturedIdentities(): Promise<{ a: CapturedIdentity; b: CapturedIdentity }> {
  const identities = field(await directRun(), "identities");
  const load = (name: string): CapturedIdentity => {
    const entry = field(identities, name);
    const nodeId = field(entry, "node_id");
    if (typeof nodeId !== "number") throw new Error("vector file: node_id is not a number");
    const file = field(entry, "identity_file_throwaway");
    return {
      nodeId,
      publicKey: text(entry, "ed25519_public_key_b64"),
      signer: new Ed25519Signer(Uint8Array.fromBase64(text(file, "private_key"))),
    };
  };
  return { a: load("A"), b: load("B") };
}
