import assert from "node:assert/strict";
import { formatGoLogLine, goLineLogger } from "./go_log.ts";
import { Renderer } from "./render.ts";

Deno.test("go log: records print in Go's default layout, values quoted only when needed", () => {
  const time = new Date(2026, 10, 24, 18, 41, 35);
  assert.equal(
    formatGoLogLine({ time, level: "info", msg: "gateway connected", attrs: { subnet: "10.4.0.0/16" } }),
    "2026/11/24 18:41:35 INFO gateway connected subnet=10.4.0.0/16",
  );
  assert.equal(
    formatGoLogLine({
      time,
      level: "error",
      msg: "removeLoopbackAlias failed",
      attrs: { ip: "10.4.0.9", os: "linux", err: "exit status 2", empty: "", gone: undefined, n: 3 },
    }),
    '2026/11/24 18:41:35 ERROR removeLoopbackAlias failed ip=10.4.0.9 os=linux err="exit status 2" empty="" n=3',
  );
});

Deno.test("go log: lines reach stderr in text mode only, at info and above", () => {
  for (const json of [false, true]) {
    const parts: string[] = [];
    const sink = { write: (b: Uint8Array) => void parts.push(new TextDecoder().decode(b)) };
    const log = goLineLogger(new Renderer({ json, stdout: sink, stderr: sink }));
    log.debug("hidden");
    log.warn("shown", { k: "v" });
    assert.deepEqual(parts.map((p) => p.replace(/^\S+ \S+ /, "")), json ? [] : ["WARN shown k=v\n"]);
  }
});
