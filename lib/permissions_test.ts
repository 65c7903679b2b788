import assert from "node:assert/strict";
import {
  defaultPilotHome,
  KILL_EXECUTABLE,
  LOOPBACK_ALIAS_EXECUTABLES,
  permissionFlags,
} from "./permissions.ts";

const ALL_PERMISSIONS = /^(-A|--allow-all)$/;

Deno.test("permissions: file access is scoped to the home, the socket and named files", () => {
  const flags = permissionFlags("daemon", {
    home: "/h/.pilot",
    socket: "/tmp/pilot.sock",
    read: ["/etc/pilot.json"],
  });
  assert.ok(flags.includes("--allow-read=/h/.pilot,/tmp/pilot.sock,/etc/pilot.json"));
  assert.ok(flags.includes("--allow-write=/h/.pilot,/tmp/pilot.sock"));
  assert.ok(
    !flags.some((flag) => ALL_PERMISSIONS.test(flag) || flag === "--allow-read" || flag === "--allow-write"),
  );
  assert.ok(!flags.some((flag) => flag.startsWith("--allow-run")), "the daemon spawns nothing");
});

Deno.test("permissions: only pilotctl may spawn, and only the executables it is given", () => {
  const flags = permissionFlags("pilotctl", { home: "/h/.pilot", socket: "/s", run: ["/bin/deno"] });
  assert.ok(
    flags.includes(`--allow-run=/bin/deno,${KILL_EXECUTABLE},${LOOPBACK_ALIAS_EXECUTABLES.join(",")}`),
  );
  assert.ok(!flags.includes("--allow-run"), "never unscoped: that would let pilotctl run anything");
  for (const program of ["daemon", "registry", "beacon"] as const) {
    const other = permissionFlags(program, { home: "/h/.pilot", socket: "/s", run: ["/bin/deno"] });
    assert.ok(!other.some((flag) => flag.startsWith("--allow-run")), `${program} spawns nothing`);
  }
});

Deno.test("permissions: pilotctl may run kill even without a daemon executable", () => {
  const flags = permissionFlags("pilotctl", { home: "/h/.pilot", socket: "/s" });
  assert.ok(flags.includes(`--allow-run=${KILL_EXECUTABLE},${LOOPBACK_ALIAS_EXECUTABLES.join(",")}`));
  const env = flags.find((flag) => flag.startsWith("--allow-env="));
  assert.ok(env?.includes("NODE_V8_COVERAGE"), "node:child_process reads it when spawning");
  const daemonEnv = permissionFlags("daemon", { home: "/h", socket: "/s" }).find((f) =>
    f.startsWith("--allow-env=")
  );
  assert.ok(!daemonEnv?.includes("NODE_V8_COVERAGE"));
});

Deno.test("permissions: PILOT_HOME overrides $HOME/.pilot", () => {
  assert.equal(defaultPilotHome((n) => ({ HOME: "/home/a" } as Record<string, string>)[n]), "/home/a/.pilot");
  assert.equal(
    defaultPilotHome((n) => ({ HOME: "/home/a", PILOT_HOME: "/p" } as Record<string, string>)[n]),
    "/p",
  );
});

Deno.test("permissions: no task, script or CI file grants every permission", async () => {
  const root = new URL("..", import.meta.url);
  const files = ["deno.json", "README.md", ".ci/run", "main.ts"];
  // Every script and CLI source, however deep: a hint printed by a benchmark counts as much as a task.
  const walk = async (dir: string): Promise<void> => {
    for await (const entry of Deno.readDir(new URL(dir, root))) {
      if (entry.isDirectory) await walk(`${dir}${entry.name}/`);
      else if (entry.isFile && entry.name.endsWith(".ts")) files.push(`${dir}${entry.name}`);
    }
  };
  await walk("scripts/");
  await walk("cli/");
  for (const file of files) {
    const text = await Deno.readTextFile(new URL(file, root)).catch(() => "");
    assert.doesNotMatch(text, /(^|[\s"'])(-A|--allow-all)([\s"']|$)/m, `${file} grants every permission`);
  }
});
