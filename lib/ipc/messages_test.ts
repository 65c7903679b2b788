import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { IPC_COMMANDS } from "./constants.ts";
import {
  decodeIpcMessage,
  encodeIpcFrame,
  encodeIpcFrameParts,
  encodeIpcMessage,
  IPC_KIND_CODES,
  type IpcKind,
  type IpcMessage,
  isRequestCode,
  unknownCommandText,
} from "./messages.ts";

const A1 = { network: 0, node: 1 };
const A2 = { network: 0, node: 2 };
const utf8 = (s: string) => new TextEncoder().encode(s);

/** One sample of every kind, with the body hex the spec's examples (§12.9) give where they exist. */
const SAMPLES: readonly [IpcMessage, string][] = [
  [{ kind: "bind", port: 3000 }, "010bb8"],
  [{ kind: "bind_ok", port: 3000 }, "020bb8"],
  [{ kind: "dial", address: A1, port: 3000 }, "030000000000010bb8"],
  [{ kind: "dial_ok", connId: 2 }, "0400000002"],
  [
    { kind: "accept", localPort: 3000, connId: 3, remoteAddress: A2, remotePort: 49153 },
    "050bb80000000300000000" + "0002c001",
  ],
  [{ kind: "send", connId: 2, data: utf8("hello") }, "060000000268656c6c6f"],
  [{ kind: "recv", connId: 3, data: utf8("hello") }, "070000000368656c6c6f"],
  [{ kind: "close", connId: 2 }, "0800000002"],
  [{ kind: "close_ok", connId: 2 }, "0900000002"],
  [{ kind: "error", code: 1, message: "connection refused" }, "0a0001" + utf8("connection refused").toHex()],
  [{ kind: "send_to", address: A1, port: 3000, data: utf8("dgram!") }, "0b0000000000010bb8646772616d21"],
  [
    { kind: "recv_from", srcAddress: A2, srcPort: 0xc002, dstPort: 3000, data: utf8("dgram!") },
    "0c000000000002c0020bb8646772616d21",
  ],
  [{ kind: "info" }, "0d"],
  [{ kind: "info_ok", json: { b: 1, a: "x" } }, "0e" + utf8('{"a":"x","b":1}').toHex()],
  [{ kind: "handshake", sub: "request", nodeId: 2, justification: "hi" }, "0f01000000026869"],
  [{ kind: "handshake", sub: "approve", nodeId: 1 }, "0f0200000001"],
  [{ kind: "handshake", sub: "reject", nodeId: 1, reason: "no" }, "0f03000000016e6f"],
  [{ kind: "handshake", sub: "pending" }, "0f04"],
  [{ kind: "handshake", sub: "trusted" }, "0f05"],
  [{ kind: "handshake", sub: "revoke", nodeId: 4242 }, "0f0600001092"],
  [
    { kind: "handshake_ok", json: { node_id: 2, status: "sent" } },
    "10" + utf8('{"node_id":2,"status":"sent"}').toHex(),
  ],
  [{ kind: "resolve_hostname", hostname: "beta" }, "1162657461"],
  [{ kind: "resolve_hostname_ok", json: { node_id: 2 } }, "12" + utf8('{"node_id":2}').toHex()],
  [{ kind: "set_hostname", hostname: "" }, "13"],
  [{ kind: "set_hostname_ok", json: {} }, "147b7d"],
  [{ kind: "set_visibility", public: true }, "1501"],
  [
    { kind: "set_visibility_ok", json: { visibility: "public" } },
    "16" + utf8('{"visibility":"public"}').toHex(),
  ],
  [{ kind: "deregister" }, "17"],
  [
    { kind: "deregister_ok", json: { type: "deregister_ok" } },
    "18" + utf8('{"type":"deregister_ok"}').toHex(),
  ],
  [{ kind: "set_tags", tags: ["#ml", "gpu"] }, "19" + utf8('["#ml","gpu"]').toHex()],
  [{ kind: "set_tags_ok", json: { tags: ["ml"] } }, "1a" + utf8('{"tags":["ml"]}').toHex()],
  [{ kind: "set_webhook", url: "" }, "1b"],
  [{ kind: "set_webhook_ok", json: { webhook: "" } }, "1c" + utf8('{"webhook":""}').toHex()],
  [{ kind: "set_task_exec", enabled: true }, "1d01"],
  [{ kind: "set_task_exec_ok", json: { task_exec: true } }, "1e" + utf8('{"task_exec":true}').toHex()],
];

Deno.test("ipc messages: every kind of §9.2 has a sample", () => {
  const seen = new Set(SAMPLES.map(([msg]) => msg.kind));
  const all = Object.keys(IPC_KIND_CODES);
  assert.deepEqual(all.filter((kind) => !seen.has(kind as IpcKind)), []);
});

Deno.test("ipc messages: each sample encodes to its bytes and decodes back", () => {
  for (const [msg, hex] of SAMPLES) {
    const body = encodeIpcMessage(msg);
    assert.equal(body.toHex(), hex, msg.kind);
    const decoded = decodeIpcMessage(body);
    assert.equal(decoded.kind, msg.kind);
    if ("json" in decoded) {
      assert.ok("json" in msg);
      assert.deepEqual(decoded.json, msg.json);
      assert.equal(decoded.raw?.toHex(), hex.slice(2));
    } else {
      assert.deepEqual(decoded, msg);
    }
    const frame = encodeIpcFrame(msg);
    assert.equal(frame.toHex(), (hex.length / 2).toString(16).padStart(8, "0") + hex);
    const [head, tail] = encodeIpcFrameParts(msg);
    assert.equal(head.toHex() + tail.toHex(), frame.toHex());
  }
});

Deno.test("ipc messages: data payloads decode as views of the body, not copies", () => {
  const body = encodeIpcMessage({ kind: "send", connId: 9, data: utf8("abc") });
  const msg = decodeIpcMessage(body);
  assert.equal(msg.kind, "send");
  assert.equal(msg.data.buffer, body.buffer);
  body[5] = 0x7a;
  assert.equal(new TextDecoder().decode(msg.data), "zbc");
});

Deno.test("ipc messages: a JSON reply given as raw bytes goes out verbatim", () => {
  const raw = utf8('{"z":1,"a":2}');
  const body = encodeIpcMessage({ kind: "resolve_hostname_ok", json: undefined, raw });
  assert.equal(new TextDecoder().decode(body.subarray(1)), '{"z":1,"a":2}');
});

/** Daemon texts for requests cut short (control.md §9.2, §9.4). */
const TRUNCATED: readonly [string, string][] = [
  ["01", "bind: missing port"],
  ["0100", "bind: missing port"],
  ["03000000000001", "dial: missing address/port"],
  ["06000000", "send: missing conn_id"],
  ["08", "close: missing conn_id"],
  ["0b00000000", "sendto: missing address/port"],
  ["0f", "handshake: missing sub-command"],
  ["0f01000000", "handshake request: missing node_id"],
  ["0f02", "handshake approve: missing node_id"],
  ["0f0300", "handshake reject: missing node_id"],
  ["0f060000", "handshake revoke: missing node_id"],
  ["11", "resolve_hostname: missing hostname"],
  ["15", "set_visibility: missing value"],
  ["1d", "set_task_exec: missing value"],
];

Deno.test("ipc messages: truncated requests fail with the daemon's own error texts", () => {
  for (const [hex, message] of TRUNCATED) {
    assert.throws(() => decodeIpcMessage(Uint8Array.fromHex(hex)), { code: "ipc_truncated", message }, hex);
  }
});

Deno.test("ipc messages: every truncation of every fixed-size sample is refused with a code", () => {
  for (const [msg] of SAMPLES) {
    const body = encodeIpcMessage(msg);
    for (let cut = 0; cut < body.byteLength; cut++) {
      try {
        decodeIpcMessage(body.subarray(0, cut));
      } catch (err) {
        assert.ok(isPilotError(err), `${msg.kind} cut at ${cut}: ${err}`);
        continue;
      }
      // Only payloads with a variable tail may decode when shortened, and never below their fixed part.
      assert.ok(cut >= fixedSize(msg.kind), `${msg.kind} cut at ${cut} decoded`);
    }
  }
});

function fixedSize(kind: IpcKind): number {
  const sizes: Partial<Record<IpcKind, number>> = {
    send: 5,
    recv: 5,
    send_to: 9,
    recv_from: 11,
    error: 3,
    handshake: 6,
    resolve_hostname: 2,
    set_tags: 3,
  };
  return sizes[kind] ?? 1;
}

Deno.test("ipc messages: unknown command codes fail with `unknown command: 0xNN`", () => {
  const known = new Set<number>(Object.values(IPC_COMMANDS));
  for (let code = 0; code < 256; code++) {
    if (known.has(code)) continue;
    const text = `unknown command: 0x${code.toString(16).toUpperCase().padStart(2, "0")}`;
    assert.equal(unknownCommandText(code), text);
    assert.throws(() => decodeIpcMessage(Uint8Array.of(code, 1, 2)), {
      code: "ipc_unknown_command",
      message: text,
    });
  }
  assert.equal(unknownCommandText(0x7f), "unknown command: 0x7F");
});

Deno.test("ipc messages: an unknown handshake sub-command is named in upper-case hex", () => {
  assert.throws(() => decodeIpcMessage(Uint8Array.of(0x0f, 0x09)), {
    code: "ipc_unknown_command",
    message: "handshake: unknown sub-command 0x09",
  });
});

Deno.test("ipc messages: bad JSON in SetTags and in replies fails with ipc_bad_json", () => {
  for (const payload of ["[", "{}", '["a",1]', "nul", ""]) {
    assert.throws(() => decodeIpcMessage(new Uint8Array([0x19, ...utf8(payload)])), (err) => {
      assert.ok(isPilotError(err, "ipc_bad_json"), String(err));
      assert.match(err.message, /^set_tags: invalid JSON: /);
      return true;
    });
  }
  assert.throws(() => decodeIpcMessage(Uint8Array.fromHex("0e7b")), { code: "ipc_bad_json" });
  assert.throws(() => decodeIpcMessage(Uint8Array.fromHex("10ff")), { code: "ipc_bad_json" });
});

Deno.test("ipc messages: out-of-range fields are refused when encoding", () => {
  assert.throws(() => encodeIpcMessage({ kind: "bind", port: 65536 }), { code: "ipc_invalid_field" });
  assert.throws(() => encodeIpcMessage({ kind: "close", connId: -1 }), { code: "ipc_invalid_field" });
  assert.throws(() => encodeIpcMessage({ kind: "handshake", sub: "approve", nodeId: 2 ** 32 }), {
    code: "ipc_invalid_field",
  });
});

Deno.test("ipc messages: the daemon executes exactly the D→d codes", () => {
  const requests = [0x01, 0x03, 0x06, 0x08, 0x0b, 0x0d, 0x0f, 0x11, 0x13, 0x15, 0x17, 0x19, 0x1b, 0x1d];
  for (let code = 0; code < 256; code++) {
    assert.equal(isRequestCode(code), requests.includes(code), `0x${code}`);
  }
});

Deno.test("ipc messages: trailing bytes after fixed fields are ignored, as the reference does", () => {
  assert.deepEqual(decodeIpcMessage(Uint8Array.fromHex("010bb8ff")), { kind: "bind", port: 3000 });
  assert.deepEqual(decodeIpcMessage(Uint8Array.fromHex("1502")), { kind: "set_visibility", public: false });
});
