import assert from "node:assert/strict";
import { compileArgs, TARGETS } from "../scripts/compile.ts";

const DENORT = Deno.env.get("DENORT_BIN");
const SKIP_REASON = "DENORT_BIN is not set: deno compile would download its denort runtime, and this " +
  "machine has no internet; set DENORT_BIN=/path/to/denort to build and test the binaries";

Deno.test("compile: both binaries are built with the scoped permission set and never -A", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target, {
      repo: "/r",
      home: "/h/.pilot",
      socket: "/tmp/pilot.sock",
      outDir: "/o",
    });
    assert.equal(args[0], "compile");
    assert.ok(!args.some((a) => a === "-A" || a === "--allow-all"), args.join(" "));
    assert.ok(args.includes("--allow-read=/h/.pilot,/tmp/pilot.sock"), args.join(" "));
    assert.ok(args.includes("--unstable-net") && args.includes("--unstable-kv"));
    assert.equal(args.at(-1), `/r/${target.entry}`);
  }
});

Deno.test({
  name: `compile: the binaries start and print their usage${
    DENORT === undefined ? ` (skipped: ${SKIP_REASON})` : ""
  }`,
  ignore: DENORT === undefined,
  fn: async () => {
    // The test task lets us run exactly these two paths (scripts/run_tests.ts).
    const outDir = `${Deno.env.get("PILOT_TEST_TMP")}/compiled`;
    await Deno.mkdir(outDir, { recursive: true });
    try {
      const build = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-env",
          "--allow-run",
          "--allow-read",
          `--allow-write=${outDir}`,
          new URL("../scripts/compile.ts", import.meta.url).pathname,
          "--out-dir",
          outDir,
        ],
      }).output();
      assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
      const daemon = await new Deno.Command(`${outDir}/pilot-daemon`, { args: ["-h"] }).output();
      assert.equal(daemon.code, 0);
      assert.match(new TextDecoder().decode(daemon.stderr), /Usage of daemon/);
      const cli = await new Deno.Command(`${outDir}/pilotctl`, { args: ["--help"] }).output();
      assert.match(new TextDecoder().decode(cli.stdout) + new TextDecoder().decode(cli.stderr), /pilotctl/);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  },
});
