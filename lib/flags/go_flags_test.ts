import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { Prng } from "../protocol/_fuzz.ts";
import { boolFlag, durationFlag, formatUsage, intFlag, parseGoFlags, stringFlag } from "./go_flags.ts";

const SPEC = {
  addr: stringFlag(":9001", "UDP listen address"),
  "beacon-id": intFlag(0, "id for clustering; 0 = standalone"),
  encrypt: boolFlag(true, "tunnel encryption"),
  public: boolFlag(false, "make the node public"),
  keepalive: durationFlag(0, "keepalive interval"),
  wait: durationFlag(30_000, "how long to wait"),
  x: boolFlag(false, "one letter"),
} as const;

function parse(args: string[]) {
  const result = parseGoFlags(SPEC, args);
  if (result.kind !== "flags") throw new Error(`asked for help: ${args.join(" ")}`);
  return result;
}

Deno.test("go flags: defaults apply when nothing is given", () => {
  const { values, explicit, args } = parse([]);
  assert.deepEqual(values, {
    addr: ":9001",
    "beacon-id": 0,
    encrypt: true,
    public: false,
    keepalive: 0,
    wait: 30_000,
    x: false,
  });
  assert.equal(explicit.size, 0);
  assert.deepEqual(args, []);
});

Deno.test("go flags: single and double dashes, separate and = values all set the flag", () => {
  for (
    const args of [["-addr", "1.2.3.4:5"], ["-addr=1.2.3.4:5"], ["--addr", "1.2.3.4:5"], ["--addr=1.2.3.4:5"]]
  ) {
    const { values, explicit } = parse(args);
    assert.equal(values.addr, "1.2.3.4:5", args.join(" "));
    assert.ok(explicit.has("addr"));
  }
  assert.equal(parse(["-addr="]).values.addr, "");
  assert.equal(
    parse(["-addr", "-beacon-id"]).values.addr,
    "-beacon-id",
    "a string value may start with a dash",
  );
  assert.equal(parse(["-addr=a=b"]).values.addr, "a=b");
  assert.equal(parse(["-addr", "1", "-addr", "2"]).values.addr, "2", "the last one wins");
});

Deno.test("go flags: bools take only an attached value, as in Go", () => {
  assert.equal(parse(["-public"]).values.public, true);
  assert.equal(parse(["-encrypt=false"]).values.encrypt, false);
  assert.equal(parse(["--encrypt=0"]).values.encrypt, false);
  assert.equal(parse(["-public=T"]).values.public, true);
  assert.equal(parse(["-x"]).values.x, true);
  const { values, args } = parse(["-encrypt", "false"]);
  assert.equal(values.encrypt, true);
  assert.deepEqual(args, ["false"], "a separate word ends the flags");
  assert.throws(() => parse(["-public=yes"]), {
    code: "invalid_argument",
    message: 'invalid boolean value "yes" for flag -public: parse error',
  });
});

Deno.test("go flags: ints accept Go's base prefixes and refuse junk and overflow", () => {
  const cases: [string, number][] = [["42", 42], ["-7", -7], ["+3", 3], ["0x1F", 31], ["0o17", 15], [
    "017",
    15,
  ], [
    "0b101",
    5,
  ], ["0", 0]];
  for (const [text, want] of cases) assert.equal(parse(["-beacon-id", text]).values["beacon-id"], want, text);
  for (
    const bad of ["", "1.5", "1e6", "abc", "0x", "08", "1_000", " 1", "9007199254740992", "9".repeat(500)]
  ) {
    assert.throws(() => parse([`-beacon-id=${bad}`]), { code: "invalid_argument" }, bad);
  }
});

Deno.test("go flags: durations use Go syntax and are held in milliseconds", () => {
  const cases: [string, number][] = [
    ["500ms", 500],
    ["30s", 30_000],
    ["2m", 120_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1_500],
    ["0", 0],
    ["-2s", -2_000],
    ["100us", 0.1],
    ["100µs", 0.1],
    ["1000000ns", 1],
    [".5h", 1_800_000],
  ];
  for (const [text, want] of cases) assert.equal(parse(["-keepalive", text]).values.keepalive, want, text);
  for (
    const bad of [
      "",
      "5",
      "s",
      "1x",
      "1.s.",
      ".s",
      "-",
      "1h-1m",
      "1e3s",
      "9999999999h",
      "1" + "0".repeat(400) + "s",
    ]
  ) {
    assert.throws(() => parse([`-keepalive=${bad}`]), { code: "invalid_argument" }, bad);
  }
  assert.throws(() => parse(["-keepalive", "5"]), {
    message: 'invalid value "5" for flag -keepalive: time: missing unit in duration "5"',
  });
});

Deno.test("go flags: parsing stops at the first non-flag and after --", () => {
  assert.deepEqual(parse(["-public", "run", "-addr", "x"]).args, ["run", "-addr", "x"]);
  assert.deepEqual(parse(["--", "-addr", "x"]).args, ["-addr", "x"]);
  assert.deepEqual(parse(["-", "-public"]).args, ["-", "-public"]);
  assert.equal(parse(["--", "-public"]).values.public, false);
});

Deno.test("go flags: unknown flags, missing values and bad syntax are refused with Go's words", () => {
  assert.throws(() => parse(["-no-tasksubmit"]), {
    code: "invalid_argument",
    message: "flag provided but not defined: -no-tasksubmit",
  });
  assert.throws(() => parse(["-addr"]), { message: "flag needs an argument: -addr" });
  for (const bad of ["---addr", "-=x", "--=x"]) {
    assert.throws(() => parse([bad]), { message: `bad flag syntax: ${bad}` }, bad);
  }
  assert.throws(() => parse(["-__proto__"]), { message: "flag provided but not defined: -__proto__" });
  assert.throws(() => parse(["-constructor=1"]), { message: "flag provided but not defined: -constructor" });
  const long = "-" + "a".repeat(10_000);
  assert.throws(() => parse([long]), (err: Error) => err.message.length < 200);
  assert.throws(() => parse(new Array(5000).fill("-public")), { code: "invalid_argument" });
});

Deno.test("go flags: -h, -help and --help ask for usage unless a program defines them", () => {
  for (const flag of ["-h", "-help", "--help", "--h", "-help=1"]) {
    assert.equal(parseGoFlags(SPEC, ["-public", flag, "-unknown"]).kind, "help", flag);
  }
  const own = parseGoFlags({ h: stringFlag("", "host") }, ["-h", "x"]);
  assert.ok(own.kind === "flags" && own.values.h === "x");
});

Deno.test("go flags: usage lists flags sorted with type and non-zero default, as Go prints it", () => {
  assert.equal(
    formatUsage("beacon", SPEC),
    [
      "Usage of beacon:",
      "  -addr string",
      '    \tUDP listen address (default ":9001")',
      "  -beacon-id int",
      "    \tid for clustering; 0 = standalone",
      "  -encrypt",
      "    \ttunnel encryption (default true)",
      "  -keepalive duration",
      "    \tkeepalive interval",
      "  -public",
      "    \tmake the node public",
      "  -wait duration",
      "    \thow long to wait (default 30s)",
      "  -x\tone letter",
      "",
    ].join("\n"),
  );
});

Deno.test("go flags: 20,000 random command lines each parse or fail with invalid_argument", () => {
  const rng = new Prng(7);
  const pieces = [
    "-",
    "--",
    "=",
    "addr",
    "beacon-id",
    "encrypt",
    "keepalive",
    "h",
    "x",
    "0x1f",
    "1h",
    "ms",
    ".",
    "µs",
    "true",
    "-1",
    "9",
  ];
  for (let i = 0; i < 20_000; i++) {
    const args = Array.from({ length: rng.below(6) }, () => {
      return Array.from({ length: 1 + rng.below(4) }, () => rng.pick(pieces)).join("");
    });
    try {
      parseGoFlags(SPEC, args);
    } catch (err) {
      if (!isPilotError(err, "invalid_argument")) throw new Error(`args ${JSON.stringify(args)}: ${err}`);
    }
  }
});
