import assert from "node:assert/strict";
import { PilotError } from "../lib/errors.ts";
import {
  boolFlag,
  durationFlag,
  goAtoi,
  intFlag,
  parseAddressArg,
  parseArgs,
  parseNodeId,
  parsePort,
  parseTarget,
  parseUintText,
  stringFlag,
} from "./args.ts";

function invalid(message: string) {
  return (err: unknown) =>
    err instanceof PilotError && err.code === "invalid_argument" && err.message === message;
}

Deno.test("args: flags take '=value', the next non-flag token, or 'true' (§2.3)", () => {
  const p = parseArgs(["--a=1", "--b", "two", "pos", "--c", "--d=", "--e"]);
  assert.deepEqual([...p.flags], [["a", "1"], ["b", "two"], ["c", "true"], ["d", ""], ["e", "true"]]);
  assert.deepEqual(p.positionals, ["pos"]);
  // Only the first '=' splits; a repeated key overwrites.
  const q = parseArgs(["--set", "k=v=w", "--set=x=y"]);
  assert.equal(q.flags.get("set"), "x=y");
  assert.equal(parseArgs(["--=v"]).flags.get(""), "v");
  assert.equal(parseArgs(["--"]).flags.get(""), "true");
});

Deno.test("args: the §2.3 consequences hold", () => {
  // `daemon status --check extra`: check = "extra", which is not a true value.
  assert.equal(boolFlag(parseArgs(["--check", "extra"]), "check"), false);
  // `send-message 2 --data --type json`: data = "true".
  const p = parseArgs(["2", "--data", "--type", "json"]);
  assert.equal(stringFlag(p, "data"), "true");
  assert.equal(stringFlag(p, "type"), "json");
  // Single dash is positional: `ping 2 -count 3`.
  const q = parseArgs(["2", "-count", "3", "-"]);
  assert.deepEqual(q.positionals, ["2", "-count", "3", "-"]);
  assert.equal(q.flags.size, 0);
});

Deno.test("args: booleans are true only for true, 1 or empty (§2.4)", () => {
  const on = ["--x", "--x=true", "--x=1", "--x="];
  const off = ["--x=false", "--x=yes", "--x=TRUE", "--x=0"];
  for (const t of on) assert.equal(boolFlag(parseArgs([t]), "x"), true, t);
  for (const t of off) assert.equal(boolFlag(parseArgs([t]), "x"), false, t);
  assert.equal(boolFlag(parseArgs([]), "x"), false);
});

Deno.test("args: integers follow Go Atoi, with its error texts (§2.4)", () => {
  assert.equal(intFlag(parseArgs([]), "count", 4), 4);
  assert.equal(intFlag(parseArgs(["--count", "+7"]), "count", 4), 7);
  assert.equal(intFlag(parseArgs(["--count=-3"]), "count", 4), -3);
  assert.equal(intFlag(parseArgs(["--count", "0"]), "count", 4), 0);
  assert.equal(goAtoi("9223372036854775807"), 9223372036854775807);
  assert.equal(goAtoi("-9223372036854775808"), -9223372036854775808);
  assert.equal(
    goAtoi("9223372036854775808"),
    'strconv.Atoi: parsing "9223372036854775808": value out of range',
  );
  assert.throws(
    () => intFlag(parseArgs(["--count", "abc"]), "count", 4),
    invalid('invalid integer for --count: strconv.Atoi: parsing "abc": invalid syntax'),
  );
  for (const bad of ["", "+", "-", "1.5", "0x10", " 1", "1_000", "٣"]) {
    assert.equal(goAtoi(bad), `strconv.Atoi: parsing ${JSON.stringify(bad)}: invalid syntax`, bad);
  }
});

Deno.test("args: durations take Go syntax, then decimal seconds, else the duration error (§2.4)", () => {
  const d = (v: string) => durationFlag(parseArgs(["--timeout", v]), "timeout", 30_000);
  assert.equal(durationFlag(parseArgs([]), "timeout", 30_000), 30_000);
  const cases: [string, number][] = [
    ["300ms", 300],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h30m", 5_400_000],
    ["10us", 0.01],
    ["10µs", 0.01],
    ["10μs", 0.01],
    ["100ns", 0.0001],
    ["0", 0],
    ["-1s", -1000],
    ["5", 5000],
    ["1.5", 1500],
    ["1e3", 1_000_000],
    ["-2", -2000],
  ];
  for (const [text, ms] of cases) assert.equal(d(text), ms, text);
  assert.throws(() => d("abc"), invalid('invalid duration for --timeout: time: invalid duration "abc"'));
  assert.throws(
    () => d("5x"),
    invalid('invalid duration for --timeout: time: unknown unit "x" in duration "5x"'),
  );
  assert.throws(
    () => d("1.2.3"),
    invalid('invalid duration for --timeout: time: missing unit in duration "1.2.3"'),
  );
});

Deno.test("args: node IDs and ports are unsigned decimals with Go's ParseUint texts (§2.5)", () => {
  assert.equal(parseNodeId("0"), 0);
  assert.equal(parseNodeId("007"), 7);
  assert.equal(parseNodeId("4294967295"), 4294967295);
  assert.throws(
    () => parseNodeId("4294967296"),
    invalid('invalid node_id "4294967296": strconv.ParseUint: parsing "4294967296": value out of range'),
  );
  assert.throws(
    () => parseNodeId("-1"),
    invalid('invalid node_id "-1": strconv.ParseUint: parsing "-1": invalid syntax'),
  );
  assert.throws(
    () => parseNodeId(""),
    invalid('invalid node_id "": strconv.ParseUint: parsing "": invalid syntax'),
  );
  assert.equal(parsePort("65535"), 65535);
  assert.throws(
    () => parsePort("65536"),
    invalid('invalid port "65536": strconv.ParseUint: parsing "65536": value out of range'),
  );
  assert.throws(
    () => parsePort("x1"),
    invalid('invalid port "x1": strconv.ParseUint: parsing "x1": invalid syntax'),
  );
  // Go-quoted: control characters escaped, so a message cannot forge lines.
  assert.equal(parseUintText("a\nb", 32), 'strconv.ParseUint: parsing "a\\nb": invalid syntax');
});

Deno.test("args: address positionals carry the parse detail (§2.5)", () => {
  assert.deepEqual(parseAddressArg("0:0000.0000.0002"), { network: 0, node: 2 });
  assert.throws(
    () => parseAddressArg("nocolon"),
    invalid('parse address: invalid address: "nocolon" (expected N:XXXX.YYYY.YYYY)'),
  );
  assert.throws(
    () => parseAddressArg("1:0000.0000.0001"),
    invalid("parse address: network mismatch: decimal 1 != hex 0x0000"),
  );
});

Deno.test("args: targets are an address, a node ID, else a hostname the daemon resolves (§2.5)", async () => {
  const asked: string[] = [];
  const resolve = (h: string) => {
    asked.push(h);
    if (h === "beta") return Promise.resolve({ network: 0, node: 2 });
    return Promise.reject(new PilotError("ipc_error", "resolve_hostname: registry: request failed"));
  };
  assert.deepEqual(await parseTarget("0:0000.0000.0005", resolve), {
    address: { network: 0, node: 5 },
    viaHostname: false,
  });
  assert.deepEqual(await parseTarget("99", resolve), {
    address: { network: 0, node: 99 },
    viaHostname: false,
  });
  assert.deepEqual(await parseTarget("beta", resolve), {
    address: { network: 0, node: 2 },
    viaHostname: true,
  });
  const message =
    'cannot resolve "nosuch" — is the hostname correct and is there mutual trust? (see: pilotctl handshake)';
  await assert.rejects(
    parseTarget("nosuch", resolve),
    (e) => e instanceof PilotError && e.code === "not_found" && e.message === message,
  );
  await assert.rejects(
    parseTarget("nosuch", resolve, { failureCode: "invalid_argument" }),
    (e) => e instanceof PilotError && e.code === "invalid_argument",
  );
  assert.deepEqual(asked, ["beta", "nosuch", "nosuch"]);
});

Deno.test("args: hostile input ends in values or invalid_argument, never another exception", () => {
  // Seeded generator: the same run every time, so a failure can be replayed.
  let seed = 0x9E3779B9;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8;
  let values = 0;
  const alphabet = [
    "-",
    "--",
    "=",
    "1",
    "9",
    "a",
    ".",
    "µ",
    "s",
    "m",
    "h",
    "e",
    "+",
    " ",
    "\n",
    "\u0000",
    "\u{1F600}",
    "\ud800",
  ];
  for (let run = 0; run < 2000; run++) {
    const tokens: string[] = [];
    const count = next() % 8;
    for (let t = 0; t < count; t++) {
      let token = "";
      const length = next() % 12;
      for (let c = 0; c < length; c++) token += alphabet[next() % alphabet.length];
      tokens.push(token);
    }
    const parsed = parseArgs(tokens);
    for (const value of [...parsed.flags.values(), ...parsed.positionals]) {
      values++;
      for (
        const read of [
          () => intFlag(parseArgs(["--n", value]), "n", 0),
          () => durationFlag(parseArgs([`--t=${value}`]), "t", 0),
          () => parseNodeId(value),
          () => parsePort(value),
          () => parseAddressArg(value),
        ]
      ) {
        try {
          const result = read();
          assert.ok(typeof result === "number" || typeof result === "object");
        } catch (err) {
          assert.ok(
            err instanceof PilotError && err.code === "invalid_argument",
            `${JSON.stringify(value)}: ${err}`,
          );
        }
      }
    }
  }
  assert.ok(values > 3000, `only ${values} values were generated`);
});

Deno.test("args: oversized values are parsed in bounded time and refused", () => {
  const huge = "9".repeat(1_000_000);
  const started = performance.now();
  assert.match(String(goAtoi(huge)), /value out of range$/);
  assert.match(String(parseUintText(huge, 32)), /value out of range$/);
  assert.throws(() => durationFlag(parseArgs(["--t", `${huge}s`]), "t", 0), (e) => e instanceof PilotError);
  assert.throws(() => durationFlag(parseArgs(["--t", huge]), "t", 0), (e) => e instanceof PilotError);
  assert.ok(performance.now() - started < 2000, "parsing a 1 MB value took too long");
});
