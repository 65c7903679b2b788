import assert from "node:assert/strict";
import { PilotError } from "../lib/errors.ts";
import {
  EXIT,
  formatBytes,
  formatDuration,
  formatFixed,
  formatJson,
  formatLocalDateTime,
  formatRfc3339Local,
  formatRfc3339Utc,
  formatUptime,
  microsToMs,
  padEnd,
  Renderer,
  toFailure,
} from "./render.ts";

function capture(json: boolean) {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  const renderer = new Renderer({
    json,
    stdout: { write: (b) => out.push(b.slice()) },
    stderr: { write: (b) => err.push(b.slice()) },
  });
  const text = (parts: Uint8Array[]) =>
    new TextDecoder().decode(new Uint8Array(parts.flatMap((p) => [...p])));
  return { renderer, stdout: () => text(out), stderr: () => text(err) };
}

Deno.test("render: indented JSON is Go's MarshalIndent with sorted keys and a trailing newline (§4.3)", () => {
  const { renderer, stdout, stderr } = capture(false);
  renderer.result({ type: "set_task_exec_ok", task_exec: true, node_id: 2 });
  assert.equal(stdout(), '{\n  "node_id": 2,\n  "task_exec": true,\n  "type": "set_task_exec_ok"\n}\n');
  assert.equal(stderr(), "");
});

Deno.test("render: the lookup example of §8.2 comes out byte for byte", () => {
  const { renderer, stdout } = capture(false);
  renderer.result({
    type: "lookup_ok",
    public_key: "MYkotO6GbrUKfM+aL3Fh5kvZDnT54KigtDcoO2xsgA8=",
    public: false,
    polo_score: 0,
    node_id: 1,
    networks: [0],
    hostname: "alpha",
    address: "0:0000.0000.0001",
  });
  assert.equal(
    stdout(),
    `{
  "address": "0:0000.0000.0001",
  "hostname": "alpha",
  "networks": [
    0
  ],
  "node_id": 1,
  "polo_score": 0,
  "public": false,
  "public_key": "MYkotO6GbrUKfM+aL3Fh5kvZDnT54KigtDcoO2xsgA8=",
  "type": "lookup_ok"
}
`,
  );
});

Deno.test("render: --json success is one sorted line on stdout (§4.2)", () => {
  const { renderer, stdout, stderr } = capture(true);
  renderer.result({ visibility: "private", type: "set_visibility_ok", node_id: 2 }, "ignored text");
  assert.equal(
    stdout(),
    '{"data":{"node_id":2,"type":"set_visibility_ok","visibility":"private"},"status":"ok"}\n',
  );
  assert.equal(stderr(), "");
});

Deno.test("render: errors go to stderr with code, hint and exit 1 in both modes (§4.2, §4.3)", () => {
  const err = new PilotError("not_running", "daemon is not running", {
    hint: "start the daemon with: pilotctl daemon start",
  });
  const json = capture(true);
  assert.equal(json.renderer.error(err), EXIT.ERROR);
  assert.equal(json.stdout(), "");
  assert.equal(
    json.stderr(),
    '{"code":"not_running","hint":"start the daemon with: pilotctl daemon start","message":"daemon is not running","status":"error"}\n',
  );
  const text = capture(false);
  text.renderer.error(err);
  assert.equal(
    text.stderr(),
    "error: daemon is not running\nhint:  start the daemon with: pilotctl daemon start\n",
  );
  const plain = capture(false);
  plain.renderer.error(new PilotError("invalid_argument", "usage: pilotctl lookup <node_id>"));
  assert.equal(plain.stderr(), "error: usage: pilotctl lookup <node_id>\n");
  const noHint = capture(true);
  noHint.renderer.error(new PilotError("invalid_argument", "usage: pilotctl lookup <node_id>"));
  assert.equal(
    noHint.stderr(),
    '{"code":"invalid_argument","message":"usage: pilotctl lookup \\u003cnode_id\\u003e","status":"error"}\n',
  );
});

Deno.test("render: progress lines appear in text mode only, on stderr", () => {
  const text = capture(false);
  text.renderer.progress('resolved "beta" → 0:0000.0000.0002\n');
  assert.equal(text.stderr(), 'resolved "beta" → 0:0000.0000.0002\n');
  const json = capture(true);
  json.renderer.progress("hidden\n");
  json.renderer.text("hidden");
  assert.equal(json.stderr() + json.stdout(), "");
});

Deno.test("render: area codes map to §17's envelope codes, anything unexpected to internal", () => {
  assert.equal(toFailure(new PilotError("service_unavailable", "x")).code, "unavailable");
  assert.equal(toFailure(new PilotError("service_invalid_state", "x")).code, "invalid_state");
  assert.equal(toFailure(new PilotError("ipc_error", "boom")).code, "internal");
  assert.deepEqual(toFailure(new Error("bug")), { code: "internal", message: "bug" });
  assert.deepEqual(toFailure("str"), { code: "internal", message: "str" });
});

Deno.test("render: JSON escapes <, >, &, U+2028/9 and control characters, keeps other UTF-8 raw (§4.4)", () => {
  assert.equal(
    formatJson({ s: "<a>&b\u2028\u2029\u0001\n\t—é→" }),
    '{"s":"\\u003ca\\u003e\\u0026b\\u2028\\u2029\\u0001\\n\\t—é→"}',
  );
  assert.equal(
    formatJson({ big: 1e21, small: 1e-7, f: 1014.151, i: 42 }),
    '{"big":1e+21,"f":1014.151,"i":42,"small":1e-7}',
  );
});

Deno.test("render: keys sort by byte order even when they look like integers", () => {
  // A JS object puts "9" before "10"; Go's sorted map keys put "10" first.
  assert.equal(formatJson({ "9": "b", "10": "a", a: 1, B: 2 }), '{"10":"a","9":"b","B":2,"a":1}');
  // Code-point order (= UTF-8 byte order) for astral characters against high BMP ones.
  assert.equal(formatJson({ "\uffff": 1, "\u{1F600}": 2 }), '{"\uffff":1,"\u{1F600}":2}');
});

Deno.test("render: empty containers stay on one line; null and absent members follow Go", () => {
  assert.equal(
    formatJson({ list: [], obj: {}, none: null, gone: undefined }, true),
    '{\n  "list": [],\n  "none": null,\n  "obj": {}\n}',
  );
  assert.equal(formatJson({ peers: null, total: 0 }), '{"peers":null,"total":0}');
  assert.equal(
    formatJson([{ b: 1, a: [1, { d: 2, c: 3 }] }], true),
    `[
  {
    "a": [
      1,
      {
        "c": 3,
        "d": 2
      }
    ],
    "b": 1
  }
]`,
  );
});

Deno.test("render: a cyclic value is refused instead of recursing forever", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => formatJson(cyclic), /deeper than 64/);
});

Deno.test("format: sizes use 1024 steps and round ties to even (§4.7)", () => {
  const cases: [number, string][] = [
    [0, "0 B"],
    [13, "13 B"],
    [1023, "1023 B"],
    [1024, "1.0 KB"],
    [1280, "1.2 KB"],
    [3840, "3.8 KB"],
    [1331, "1.3 KB"],
    [41062, "40.1 KB"],
    [524288, "512.0 KB"],
    [1048576, "1.0 MB"],
    [2097152, "2.0 MB"],
    [278816358, "265.9 MB"],
    [1024 ** 3 * 1.5, "1.5 GB"],
  ];
  for (const [bytes, text] of cases) assert.equal(formatBytes(bytes), text, `${bytes}`);
  assert.equal(formatFixed(1.25, 1), "1.2");
  assert.equal(formatFixed(1.75, 1), "1.8");
  assert.equal(formatFixed(2.5, 0), "2");
  assert.equal(formatFixed(3.5, 0), "4");
  assert.equal(formatFixed(0.1 + 0.2, 1), "0.3");
});

Deno.test("format: durations are Go duration strings (§4.6)", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [0.00085, "850ns"],
    [0.463728, "463.728µs"],
    [0.012, "12µs"],
    [11.372846, "11.372846ms"],
    [6, "6ms"],
    [2008, "2.008s"],
    [30_000, "30s"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [120_000, "2m0s"],
    [3_600_000, "1h0m0s"],
    [-1500, "-1.5s"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms}`);
  assert.equal(microsToMs(11180), 11.18);
  assert.equal(microsToMs(1014151), 1014.151);
});

Deno.test("format: uptime is HH:MM:SS with hours past 99 (§4.6)", () => {
  assert.equal(formatUptime(6), "00:00:06");
  assert.equal(formatUptime(283), "00:04:43");
  assert.equal(formatUptime(360_000 + 61), "100:01:01");
  assert.equal(formatUptime(-5), "00:00:00");
});

Deno.test("format: padding counts code points and never truncates (§4.3)", () => {
  assert.equal(padEnd("NODE ID", 10), "NODE ID   ");
  assert.equal(padEnd("é→", 4), "é→  ");
  assert.equal(padEnd("longer than width", 4), "longer than width");
});

Deno.test("format: timestamps in local time and UTC (§4.8)", () => {
  const date = new Date(Date.UTC(2026, 10, 24, 18, 31, 36));
  assert.equal(formatRfc3339Utc(date), "2026-11-24T18:31:36Z");
  const local = formatRfc3339Local(date);
  assert.match(local, /^2026-11-2\dT\d\d:\d\d:36(Z|[+-]\d\d:\d\d)$/);
  assert.match(formatLocalDateTime(1795544947), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  if (date.getTimezoneOffset() === 0) {
    assert.equal(local, "2026-11-24T18:31:36Z");
    assert.equal(formatLocalDateTime(date.getTime() / 1000), "2026-11-24 18:31:36");
  }
});
