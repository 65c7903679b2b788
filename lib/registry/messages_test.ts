import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { encodeJson } from "./json.ts";
import {
  decodeRegistryFrame,
  decodeRegistryFramePrefix,
  encodeRegistryFrame,
  parseRegistryMessage,
  RegistryFrameDecoderStream,
} from "./messages.ts";

// control.md §12.1, byte for byte.
const RESOLVE_HOSTNAME_HEX =
  "0000002d7b22686f73746e616d65223a2262657461222c2274797065223a227265736f6c76655f686f73746e616d65227d";
const HEARTBEAT_OK_HEX =
  "000000297b2274696d65223a313739353534353132362c2274797065223a226865617274626561745f6f6b227d";

async function decodeChunks(chunks: Uint8Array[], maxBody?: number): Promise<Uint8Array[]> {
  const stream = ReadableStream.from(chunks).pipeThrough(new RegistryFrameDecoderStream({ maxBody }));
  return await Array.fromAsync(stream);
}

Deno.test("registry frame: encodes the captured resolve_hostname and heartbeat_ok frames byte for byte", () => {
  assert.equal(
    encodeRegistryFrame({ type: "resolve_hostname", hostname: "beta" }).toHex(),
    RESOLVE_HOSTNAME_HEX,
  );
  assert.equal(encodeRegistryFrame({ type: "heartbeat_ok", time: 1795545126 }).toHex(), HEARTBEAT_OK_HEX);
  assert.deepEqual(decodeRegistryFrame(Uint8Array.fromHex(HEARTBEAT_OK_HEX)), {
    time: 1795545126,
    type: "heartbeat_ok",
  });
});

Deno.test("registry json: keys sorted, no whitespace, <>& escaped as the reference writes them", () => {
  assert.equal(
    encodeJson({ z: 1, a: [true, null, "x<y>&z"], m: { b: 2, a: 1 } }),
    '{"a":[true,null,"x\\u003cy\\u003e\\u0026z"],"m":{"a":1,"b":2},"z":1}',
  );
  assert.equal(encodeJson({ a: undefined, b: "\u2028" }), '{"b":"\\u2028"}');
  assert.throws(() => encodeJson({ n: Number.NaN }));
});

Deno.test("registry frame decoder: frames split at every offset and fed a byte at a time come out whole", async () => {
  const stream = new Uint8Array([
    ...Uint8Array.fromHex(RESOLVE_HOSTNAME_HEX),
    ...Uint8Array.fromHex(HEARTBEAT_OK_HEX),
  ]);
  for (let cut = 0; cut <= stream.byteLength; cut++) {
    const bodies = await decodeChunks([stream.subarray(0, cut), stream.subarray(cut)]);
    assert.equal(bodies.length, 2, `cut at ${cut}`);
    assert.equal(bodies[1].byteLength, 0x29);
  }
  const bytewise = await decodeChunks(Array.from(stream, (b) => new Uint8Array([b])));
  assert.deepEqual(bytewise.map((b) => parseRegistryMessage(b).type), ["resolve_hostname", "heartbeat_ok"]);
});

Deno.test("registry frame decoder: an oversized declared length is refused before any body arrives", async () => {
  const prefix = new Uint8Array([0x00, 0x10, 0x00, 0x01]); // 1 MiB + 1
  await assert.rejects(decodeChunks([prefix]), (err) => isPilotError(err, "frame_too_large"));
  await assert.rejects(
    decodeChunks([new Uint8Array([0xff, 0xff, 0xff, 0xff])]),
    (err) => isPilotError(err, "frame_too_large"),
  );
  // Exactly the limit is allowed (the limit is "length > 1048576").
  assert.equal(decodeRegistryFramePrefix(new Uint8Array([0x00, 0x10, 0x00, 0x00])).length, 1_048_576);
});

Deno.test("registry frame decoder: a stream that ends inside a prefix or a body is frame_truncated", async () => {
  const frame = Uint8Array.fromHex(HEARTBEAT_OK_HEX);
  for (const cut of [1, 3, 4, 10, frame.byteLength - 1]) {
    await assert.rejects(
      decodeChunks([frame.subarray(0, cut)]),
      (err) => isPilotError(err, "frame_truncated"),
      `cut ${cut}`,
    );
  }
  assert.throws(
    () => decodeRegistryFrame(frame.subarray(0, 10)),
    (err) => isPilotError(err, "frame_truncated"),
  );
  assert.throws(
    () => decodeRegistryFramePrefix(new Uint8Array(3)),
    (err) => isPilotError(err, "frame_truncated"),
  );
});

Deno.test("registry message: null is an empty object; non-objects and bad JSON are registry_bad_json", () => {
  const enc = (t: string) => new TextEncoder().encode(t);
  assert.deepEqual(parseRegistryMessage(enc("null")), {});
  for (const bad of ["", "{", "[1]", '"x"', "42", "true", "{'a':1}", "\u0000"]) {
    assert.throws(() => parseRegistryMessage(enc(bad)), (err) => isPilotError(err, "registry_bad_json"), bad);
  }
  // Invalid UTF-8 inside a string is replaced, not refused, as the reference's reader does.
  const body = new Uint8Array([...enc('{"type":"'), 0xff, ...enc('"}')]);
  assert.equal(parseRegistryMessage(body).type, "\ufffd");
});

Deno.test("registry frame: encoding refuses a body over the limit", () => {
  assert.throws(
    () => encodeRegistryFrame({ type: "x", pad: "a".repeat(100) }, 50),
    (err) => isPilotError(err, "frame_too_large"),
  );
});
