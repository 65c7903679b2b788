import assert from "node:assert/strict";
import { createLogger, formatJsonRecord, formatTextRecord, type LogRecord, parseLogLevel } from "./log.ts";

Deno.test("log: records below the level are dropped and child attributes are merged", () => {
  const records: LogRecord[] = [];
  const log = createLogger({ level: "info", sink: (r) => records.push(r) });
  log.debug("hidden");
  log.child({ peer: 2 }).warn("tunnel lost", { endpoint: "127.0.0.1:9" });
  assert.equal(records.length, 1);
  assert.deepEqual(records[0].attrs, { peer: 2, endpoint: "127.0.0.1:9" });
  assert.ok(!log.isEnabled("debug"));
});

Deno.test("log: text lines quote values with spaces; json lines carry time, level, msg", () => {
  const record: LogRecord = {
    time: new Date("2026-11-24T18:32:01.296Z"),
    level: "info",
    msg: "daemon registered",
    attrs: { node_id: 1, addr: "0:0000.0000.0001" },
  };
  assert.equal(
    formatTextRecord(record),
    'time=2026-11-24T18:32:01.296Z level=INFO msg="daemon registered" node_id=1 addr=0:0000.0000.0001',
  );
  assert.deepEqual(JSON.parse(formatJsonRecord(record)), {
    time: "2026-11-24T18:32:01.296Z",
    level: "INFO",
    msg: "daemon registered",
    node_id: 1,
    addr: "0:0000.0000.0001",
  });
});

Deno.test("log: parseLogLevel maps warning to warn and unknown names to info", () => {
  assert.equal(parseLogLevel("warning"), "warn");
  assert.equal(parseLogLevel("DEBUG"), "debug");
  assert.equal(parseLogLevel("loud"), "info");
});
