import assert from "node:assert/strict";
import { applyConfig, formatGoFloat, loadConfigFile, parseConfigText } from "./config_file.ts";
import { boolFlag, durationFlag, intFlag, parseGoFlags, stringFlag } from "./go_flags.ts";

const SPEC = {
  addr: stringFlag(":9001", "addr"),
  "log-level": stringFlag("info", "level"),
  "beacon-id": intFlag(0, "id"),
  encrypt: boolFlag(true, "encrypt"),
  keepalive: durationFlag(0, "interval"),
} as const;

function parsed(args: string[]) {
  const result = parseGoFlags(SPEC, args);
  if (result.kind !== "flags") throw new Error("help");
  return result;
}

Deno.test("config file: members set flags by name or underscore name, and the command line wins", () => {
  const values = applyConfig(SPEC, parsed(["-addr", ":1"]), {
    addr: ":2",
    log_level: "debug",
    "beacon-id": 7,
    encrypt: false,
    keepalive: "45s",
  });
  assert.deepEqual(values, {
    addr: ":1",
    "log-level": "debug",
    "beacon-id": 7,
    encrypt: false,
    keepalive: 45_000,
  });
});

Deno.test("config file: values a flag cannot parse, and arrays, objects, null and unknown names are ignored", () => {
  const values = applyConfig(SPEC, parsed([]), {
    "beacon-id": 1_000_000, // Go formats this as 1e+06, which an int flag refuses (control.md §10.2)
    keepalive: 30, // a bare number is not a duration
    addr: ["x"],
    "log-level": null,
    encrypt: { on: true },
    nothing: "x",
    __proto__: "x",
  });
  assert.deepEqual(values, parsed([]).values);
});

Deno.test("config file: numbers take Go's shortest %g text", () => {
  const cases: [number, string][] = [
    [1, "1"],
    [999_999, "999999"],
    [1_000_000, "1e+06"],
    [1_500_000, "1.5e+06"],
    [0.5, "0.5"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [-3, "-3"],
    [1e21, "1e+21"],
  ];
  for (const [value, text] of cases) assert.equal(formatGoFloat(value), text, text);
});

Deno.test("config file: a missing file, bad JSON or a non-object is a load config error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(loadConfigFile(`${dir}/missing.json`), {
      code: "config_load",
      message: /^load config: /,
    });
    for (const text of ["", "{", "[]", "null", "3", '"x"']) {
      assert.throws(() => parseConfigText(text), { code: "config_load" }, text);
    }
    await Deno.writeTextFile(`${dir}/ok.json`, '{"log_level":"debug"}');
    assert.deepEqual(await loadConfigFile(`${dir}/ok.json`), { log_level: "debug" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
