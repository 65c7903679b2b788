/**
 * Every IPC message captured from the reference (shared/vectors/ipc.json, all runs) decodes, re-encodes
 * byte for byte, and matches the capture's decoded note; the captured streams also decode when fed a
 * byte at a time and when split at every offset.
 */
import assert from "node:assert/strict";
import { formatAddress } from "../lib/protocol/mod.ts";
import { IpcFrameDecoderStream, type IpcFrameEvent } from "../lib/ipc/frame_stream.ts";
import { formatSortedJson } from "../lib/ipc/json.ts";
import { decodeIpcMessage, encodeIpcFrame, encodeIpcMessage, type IpcMessage } from "../lib/ipc/messages.ts";

interface Capture {
  run: string;
  conn: number;
  direction: string;
  hex: string;
  note: string;
  json?: unknown;
}

async function loadCaptures(): Promise<Capture[]> {
  const url = new URL("../../shared/vectors/ipc.json", import.meta.url);
  const file: unknown = JSON.parse(await Deno.readTextFile(url));
  const out: Capture[] = [];
  const take = (run: string, list: unknown) => {
    assert.ok(Array.isArray(list), `${run} is a list`);
    for (const item of list) {
      const { conn, direction, hex, note, json } = item;
      assert.ok(typeof conn === "number" && typeof direction === "string" && typeof hex === "string");
      assert.ok(typeof note === "string");
      out.push({ run, conn, direction, hex, note, json });
    }
  };
  assert.ok(typeof file === "object" && file !== null && "messages" in file && "public_nodes_run" in file);
  take("messages", file.messages);
  const pub = file.public_nodes_run;
  assert.ok(typeof pub === "object" && pub !== null && "messages_A" in pub && "messages_B" in pub);
  take("messages_A", pub.messages_A);
  take("messages_B", pub.messages_B);
  return out;
}

const CAPTURES = await loadCaptures();

function bodyOf(capture: Capture): Uint8Array {
  const frame = Uint8Array.fromHex(capture.hex);
  const length = new DataView(frame.buffer).getUint32(0);
  assert.equal(length, frame.byteLength - 4, `${capture.run} prefix of ${capture.note}`);
  return frame.subarray(4);
}

const SUB_NAMES: Record<string, string> = {
  send: "request",
  approve: "approve",
  pending: "pending",
  trusted: "trusted",
  revoke: "revoke",
};

/** Checks the fields that the capture's note spells out. */
function checkNote(msg: IpcMessage, capture: Capture): void {
  const note = capture.note;
  const where = `${capture.run}: ${note}`;
  const num = (re: RegExp) => {
    const m = re.exec(note);
    return m === null ? undefined : Number(m[1]);
  };
  const connId = num(/conn_id=(\d+)/);
  if (connId !== undefined) assert.ok("connId" in msg && msg.connId === connId, where);
  const data = /data\((\d+)\)=(?:b'([^']*)'|data-exchange)/.exec(note);
  if (data !== null) {
    assert.ok("data" in msg, where);
    assert.equal(msg.data.byteLength, Number(data[1]), where);
    if (data[2] !== undefined) assert.equal(new TextDecoder().decode(msg.data), data[2], where);
  }
  switch (msg.kind) {
    case "dial": {
      const m = /dst=(\S+) port=(\d+)/.exec(note);
      assert.ok(m !== null, where);
      assert.equal(formatAddress(msg.address), m[1], where);
      assert.equal(msg.port, Number(m[2]), where);
      break;
    }
    case "bind":
    case "bind_ok":
      assert.equal(msg.port, num(/port=(\d+)/), where);
      break;
    case "accept": {
      const m = /local_port=(\d+) conn_id=(\d+) remote=(\S+):(\d+)/.exec(note);
      assert.ok(m !== null, where);
      assert.equal(msg.localPort, Number(m[1]), where);
      assert.equal(formatAddress(msg.remoteAddress), m[3], where);
      assert.equal(msg.remotePort, Number(m[4]), where);
      break;
    }
    case "resolve_hostname":
      assert.equal(`'${msg.hostname}'`, /ResolveHostname: ('[^']*')/.exec(note)?.[1], where);
      break;
    case "set_task_exec":
      assert.equal(msg.enabled, /enable=01/.test(note), where);
      break;
    case "handshake": {
      const m = /sub=0x0\d\((\w+)\)(?: node_id=(\d+) rest='([^']*)')?/.exec(note);
      assert.ok(m !== null, where);
      assert.equal(msg.sub, SUB_NAMES[m[1]], where);
      if (m[2] !== undefined) assert.ok("nodeId" in msg && msg.nodeId === Number(m[2]), where);
      if (msg.sub === "request") assert.equal(msg.justification, m[3], where);
      break;
    }
    default:
      if ("json" in msg) {
        assert.deepEqual(msg.json, capture.json, where);
        // The reference writes IPC JSON with sorted keys; our formatter reproduces it byte for byte.
        assert.equal(formatSortedJson(msg.json), new TextDecoder().decode(msg.raw), where);
      }
  }
}

Deno.test("ipc vectors: every captured message decodes, matches its note and re-encodes byte for byte", () => {
  assert.ok(CAPTURES.length >= 60, `found ${CAPTURES.length} captures`);
  const kinds = new Set<string>();
  for (const capture of CAPTURES) {
    const msg = decodeIpcMessage(bodyOf(capture));
    kinds.add(msg.kind);
    checkNote(msg, capture);
    assert.equal(encodeIpcFrame(msg).toHex(), capture.hex, capture.note);
    assert.equal(encodeIpcMessage(msg).toHex(), capture.hex.slice(8), capture.note);
  }
  for (
    const kind of ["info_ok", "dial", "accept", "recv", "send", "close_ok", "handshake", "set_task_exec_ok"]
  ) {
    assert.ok(kinds.has(kind), `vectors include ${kind}`);
  }
});

Deno.test("ipc vectors: a JSON reply without raw bytes re-encodes to the captured bytes", () => {
  for (const capture of CAPTURES.filter((c) => c.json !== undefined)) {
    const msg = decodeIpcMessage(bodyOf(capture));
    assert.ok("json" in msg);
    assert.equal(encodeIpcFrame({ kind: msg.kind, json: msg.json }).toHex(), capture.hex, capture.note);
  }
});

function streamsByConnection(): Map<string, Uint8Array> {
  const parts = new Map<string, string>();
  for (const c of CAPTURES) {
    const key = `${c.run} conn ${c.conn} ${c.direction}`;
    parts.set(key, (parts.get(key) ?? "") + c.hex);
  }
  return new Map([...parts].map(([key, hex]) => [key, Uint8Array.fromHex(hex)]));
}

async function decodeAll(chunks: Uint8Array[]): Promise<string[]> {
  const events: IpcFrameEvent[] = await Array.fromAsync(
    ReadableStream.from(chunks).pipeThrough(new IpcFrameDecoderStream()),
  );
  return events.map((e) => (e.type === "body" ? e.body.toHex() : "oversized"));
}

Deno.test("ipc vectors: each captured stream decodes the same byte by byte and split at every offset", async () => {
  for (const [key, stream] of streamsByConnection()) {
    const want = await decodeAll([stream]);
    assert.ok(want.length >= 1, key);
    assert.deepEqual(
      await decodeAll(Array.from(stream, (b) => Uint8Array.of(b))),
      want,
      `${key} byte by byte`,
    );
    for (let at = 1; at < stream.byteLength; at++) {
      assert.deepEqual(
        await decodeAll([stream.slice(0, at), stream.slice(at)]),
        want,
        `${key} split at ${at}`,
      );
    }
  }
});
