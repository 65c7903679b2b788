import assert from "node:assert/strict";
import {
  type ControlReply,
  type ControlRequest,
  encodeControlReply,
  encodeControlRequest,
  MAX_CONTROL_LINE,
  parseControlReply,
  parseControlRequest,
} from "./control_messages.ts";

Deno.test("control messages: requests and replies survive a round trip as one JSON line", () => {
  const requests: ControlRequest[] = [
    { op: "map", pilotAddr: "0:0000.0000.0002" },
    { op: "map", pilotAddr: "0:0000.0000.0002", localIp: "127.77.0.9" },
    { op: "unmap", localIp: "127.77.0.9" },
    { op: "list" },
  ];
  for (const request of requests) {
    const line = encodeControlRequest(request);
    assert.ok(line.endsWith("\n") && line.indexOf("\n") === line.length - 1);
    assert.deepEqual(parseControlRequest(line), request);
  }
  const replies: ControlReply[] = [
    { type: "mapping", mapping: { localIp: "127.77.0.1", pilotAddr: "0:0000.0000.0002" } },
    { type: "unmapped", localIp: "127.77.0.1" },
    { type: "mappings", mappings: [] },
    { type: "mappings", mappings: [{ localIp: "127.77.0.1", pilotAddr: "0:0000.0000.0002" }] },
    { type: "error", code: "service_gateway_no_mapping", message: "no mapping for 127.77.0.1" },
  ];
  for (const reply of replies) assert.deepEqual(parseControlReply(encodeControlReply(reply)), reply);
  assert.equal(
    encodeControlRequest({ op: "map", pilotAddr: "0:0000.0000.0002" }),
    '{"op":"map","pilot_addr":"0:0000.0000.0002"}\n',
  );
});

Deno.test("control messages: hostile lines end in service_gateway_bad_message naming the problem", () => {
  const badRequests: Array<[string, RegExp]> = [
    ["", /not JSON/],
    ["{", /not JSON/],
    ["[]", /not an object/],
    ["null", /not an object/],
    ['"map"', /not an object/],
    ['{"op":"nuke"}', /unknown op "nuke"/],
    ["{}", /unknown op undefined/],
    ['{"op":"map"}', /field pilot_addr must be a string/],
    ['{"op":"map","pilot_addr":7}', /field pilot_addr/],
    ['{"op":"map","pilot_addr":"x","local_ip":[]}', /field local_ip/],
    ['{"op":"unmap"}', /field local_ip/],
    ['{"op":"__proto__"}', /unknown op/],
    [`"${"x".repeat(MAX_CONTROL_LINE)}"`, /max/],
  ];
  for (const [line, message] of badRequests) {
    assert.throws(
      () => parseControlRequest(line),
      { code: "service_gateway_bad_message", message },
      line.slice(0, 40),
    );
  }
  const badReplies: Array<[string, RegExp]> = [
    ['{"type":"mapping","local_ip":"1.2.3.4"}', /field pilot_addr/],
    ['{"type":"mappings","mappings":{}}', /must be an array/],
    [
      '{"type":"mappings","mappings":[{"local_ip":"1.2.3.4","pilot_addr":"a"},3]}',
      /mappings\[1\] is not an object/,
    ],
    ['{"type":"error","code":"x"}', /field message/],
    ['{"type":"teapot"}', /unknown type "teapot"/],
    ["42", /not an object/],
  ];
  for (const [line, message] of badReplies) {
    assert.throws(() => parseControlReply(line), { code: "service_gateway_bad_message", message }, line);
  }
});

Deno.test("control messages: an error reply carries only gateway-area codes", () => {
  const reply = parseControlReply('{"type":"error","code":"internal","message":"boom"}');
  assert.deepEqual(reply, { type: "error", code: "service_gateway_failed", message: "boom" });
});
