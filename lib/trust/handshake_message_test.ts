import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { verifyTextSignature } from "../crypto/mod.ts";
import { capturedHandshakeMessages, capturedIdentities } from "./_test_vectors.ts";
import { JSON_FRAGMENTS, mutate, Prng } from "../protocol/_fuzz.ts";
import {
  decodeHandshakeMessage,
  encodeHandshakeMessage,
  encodeHandshakeText,
  handshakeChallenge,
  isHandshakeType,
} from "./handshake_message.ts";
import type { HandshakeMessage } from "./handshake_message.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

Deno.test("handshake message: the three captured messages decode, verify and re-encode byte for byte", async () => {
  const messages = await capturedHandshakeMessages();
  const { a, b } = await capturedIdentities();
  assert.deepEqual(
    messages.map((m) => decodeHandshakeMessage(m.bytes).type),
    ["handshake_request", "handshake_accept", "handshake_revoke"],
  );
  for (const captured of messages) {
    const message = decodeHandshakeMessage(captured.bytes);
    const [sender, receiver] = captured.from === "daemonA" ? [a, b] : [b, a];
    assert.equal(message.nodeId, sender.nodeId);
    assert.equal(message.publicKey, sender.publicKey);
    assert.equal(
      await verifyTextSignature(
        sender.publicKey,
        handshakeChallenge(sender.nodeId, receiver.nodeId),
        message.signature,
      ),
      true,
      `${message.type} verifies under the sender's key`,
    );
    assert.equal(
      await verifyTextSignature(
        receiver.publicKey,
        handshakeChallenge(sender.nodeId, receiver.nodeId),
        message.signature,
      ),
      false,
      "and not under the receiver's",
    );
    assert.deepEqual(encodeHandshakeMessage(message), captured.bytes);
  }
});

Deno.test("handshake message: our signer reproduces the captured signatures (deterministic Ed25519)", async () => {
  const [request, accept, revoke] = (await capturedHandshakeMessages()).map((m) =>
    decodeHandshakeMessage(m.bytes)
  );
  const { a, b } = await capturedIdentities();
  assert.equal(a.signer.signText(handshakeChallenge(1, 2)), request.signature);
  assert.equal(b.signer.signText(handshakeChallenge(2, 1)), accept.signature);
  // A revoke signs the same challenge as the request, so it carries the same bytes.
  assert.equal(revoke.signature, request.signature);
  assert.equal(revoke.reason, "trust revoked");
});

Deno.test("handshake message: the request of control.md §12.7 re-encodes exactly", () => {
  const text =
    '{"type":"handshake_request","node_id":5,"public_key":"rAJphNR5m0slpArX81j5ApCiXD+PjfBjykcuxw9tbtc=","justification":"hi d","signature":"gcv+HuzQ7oFm2jGGn6ifoKir4QCOUgTlk473553lSJHfsPh1sJVusQNWhMmI3bjOne73UZx6Iwnj9AcpspcqBQ==","reason":"","timestamp":1795545456}';
  const message = decodeHandshakeMessage(encoder.encode(text));
  assert.equal(message.nodeId, 5);
  assert.equal(message.justification, "hi d");
  assert.equal(encodeHandshakeText(message), text);
  assert.equal(encoder.encode(text).byteLength, 261, "the payload length of the captured packet");
});

Deno.test("handshake message: strings are escaped as the reference escapes them", () => {
  const message: HandshakeMessage = {
    type: "handshake_request",
    nodeId: 1,
    publicKey: "",
    justification: `<a href="x">&</a>\n\t\u0001\u2028é😀`,
    signature: "",
    reason: "\\",
    timestamp: 0,
  };
  const text = encodeHandshakeText(message);
  assert.equal(
    text,
    '{"type":"handshake_request","node_id":1,"public_key":"","justification":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e\\n\\t\\u0001\\u2028é😀","signature":"","reason":"\\\\","timestamp":0}',
  );
  assert.deepEqual(decodeHandshakeMessage(encoder.encode(text)), message);
});

Deno.test("handshake message: encode refuses values the wire cannot carry", () => {
  const base: HandshakeMessage = {
    type: "handshake_accept",
    nodeId: 1,
    publicKey: "",
    justification: "",
    signature: "",
    reason: "",
    timestamp: 1,
  };
  for (
    const bad of [{ nodeId: -1 }, { nodeId: 2 ** 32 }, { nodeId: 1.5 }, { timestamp: 0.5 }, {
      timestamp: NaN,
    }]
  ) {
    assert.throws(() => encodeHandshakeText({ ...base, ...bad }), { code: "invalid_argument" });
  }
});

Deno.test("handshake message: challenge and type helpers", () => {
  assert.equal(handshakeChallenge(4294967295, 7), "handshake:4294967295:7");
  assert.equal(isHandshakeType("handshake_reject"), true);
  assert.equal(isHandshakeType("handshake_hello"), false);
});

const VALID = {
  type: "handshake_request",
  node_id: 1,
  public_key: "",
  justification: "",
  signature: "",
  reason: "",
  timestamp: 1795546149,
};

function withMember(key: string, value: unknown): string {
  return JSON.stringify({ ...VALID, [key]: value });
}

function without(key: string): string {
  const copy: Record<string, unknown> = { ...VALID };
  delete copy[key];
  return JSON.stringify(copy);
}

Deno.test("handshake message: hostile inputs end in a PilotError with their code", () => {
  const table: [string, string | Uint8Array, string][] = [
    ["empty", "", "proto_handshake_json"],
    ["truncated object", JSON.stringify(VALID).slice(0, 40), "proto_handshake_json"],
    ["trailing garbage", JSON.stringify(VALID) + "x", "proto_handshake_json"],
    ["two objects", JSON.stringify(VALID) + JSON.stringify(VALID), "proto_handshake_json"],
    ["byte-order mark", "\ufeff" + JSON.stringify(VALID), "proto_handshake_json"],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), "proto_handshake_json"],
    ["single quotes", "{'type':'handshake_request'}", "proto_handshake_json"],
    [
      "oversized",
      `{"type":"handshake_request","justification":"${"x".repeat(4096)}"}`,
      "proto_handshake_too_large",
    ],
    ["null", "null", "proto_handshake_field"],
    ["array", "[1,2,3]", "proto_handshake_field"],
    ["string", '"handshake_request"', "proto_handshake_field"],
    ["number", "444", "proto_handshake_field"],
    ["empty object", "{}", "proto_handshake_field"],
    ["missing type", without("type"), "proto_handshake_field"],
    ["missing node_id", without("node_id"), "proto_handshake_field"],
    ["missing public_key", without("public_key"), "proto_handshake_field"],
    ["missing justification", without("justification"), "proto_handshake_field"],
    ["missing signature", without("signature"), "proto_handshake_field"],
    ["missing reason", without("reason"), "proto_handshake_field"],
    ["missing timestamp", without("timestamp"), "proto_handshake_field"],
    ["empty type", withMember("type", ""), "proto_handshake_field"],
    ["numeric type", withMember("type", 1), "proto_handshake_field"],
    ["string node_id", withMember("node_id", "1"), "proto_handshake_field"],
    ["node_id 0", withMember("node_id", 0), "proto_handshake_field"],
    ["negative node_id", withMember("node_id", -1), "proto_handshake_field"],
    ["fractional node_id", withMember("node_id", 1.5), "proto_handshake_field"],
    ["node_id over 32 bits", withMember("node_id", 4294967296), "proto_handshake_field"],
    ["null node_id", withMember("node_id", null), "proto_handshake_field"],
    ["huge node_id", '{"type":"handshake_request","node_id":1e999}', "proto_handshake_field"],
    ["null public_key", withMember("public_key", null), "proto_handshake_field"],
    ["object signature", withMember("signature", {}), "proto_handshake_field"],
    ["array reason", withMember("reason", []), "proto_handshake_field"],
    ["bool justification", withMember("justification", true), "proto_handshake_field"],
    ["string timestamp", withMember("timestamp", "1795546149"), "proto_handshake_field"],
    ["fractional timestamp", withMember("timestamp", 1.25), "proto_handshake_field"],
    ["unsafe timestamp", withMember("timestamp", 2 ** 60), "proto_handshake_field"],
    [
      "members only on the prototype",
      '{"__proto__":{"type":"handshake_request","node_id":1,"public_key":"","justification":"","signature":"","reason":"","timestamp":1}}',
      "proto_handshake_field",
    ],
  ];
  for (const [name, input, code] of table) {
    const bytes = typeof input === "string" ? encoder.encode(input) : input;
    assert.throws(() => decodeHandshakeMessage(bytes), (err: unknown) => {
      assert.ok(isPilotError(err), `${name}: a PilotError, got ${err}`);
      assert.equal(err.code, code, `${name}: ${err.message}`);
      return true;
    });
  }
});

Deno.test("handshake message: extra members are ignored and unknown types are kept", () => {
  const message = decodeHandshakeMessage(
    encoder.encode(JSON.stringify({ ...VALID, type: "handshake_hello", extra: [1, { a: 2 }] })),
  );
  assert.equal(message.type, "handshake_hello");
  assert.equal(decoder.decode(encodeHandshakeMessage(message)).includes("extra"), false);
});

Deno.test("handshake message: 20,000 seeded mutations decode or fail with a proto_handshake code", async () => {
  const seeds = (await capturedHandshakeMessages()).map((m) => m.bytes);
  const rng = new Prng(0x7e57_0444);
  let decoded = 0;
  for (let i = 0; i < 20_000; i++) {
    const input = mutate(rng, rng.pick(seeds), { fragments: JSON_FRAGMENTS });
    try {
      const message = decodeHandshakeMessage(input);
      // Whatever decodes must survive its own round trip.
      assert.deepEqual(decodeHandshakeMessage(encodeHandshakeMessage(message)), message);
      decoded++;
    } catch (err) {
      if (!isPilotError(err) || !err.code.startsWith("proto_handshake_")) {
        throw new Error(`iteration ${i}: unexpected ${err} for ${decoder.decode(input)}`);
      }
    }
  }
  assert.ok(decoded > 0 && decoded < 20_000, `a mix of accepted and refused inputs (${decoded} decoded)`);
});
