/**
 * `deno task compile`: builds `dist/pilot-daemon` and `dist/pilotctl` as self-contained executables that
 * carry the permission set of `lib/permissions.ts`, scoped to the building user's pilot home and the
 * default socket. Offline machines need `DENORT_BIN` pointing at a `denort` runtime, because
 * `deno compile` otherwise downloads one.
 *
 * @module
 */

import { DEFAULT_SOCKET_PATH, defaultPilotHome, permissionFlags, type Program } from "../lib/permissions.ts";
import { printError, printLine } from "./_out.ts";

/** What gets built: output name, program, entry point. */
export const TARGETS: ReadonlyArray<{ output: string; program: Program; entry: string }> = [
  { output: "pilot-daemon", program: "daemon", entry: "main.ts" },
  { output: "pilotctl", program: "pilotctl", entry: "cli/pilotctl.ts" },
];

/** The `deno compile` arguments of one target. */
export function compileArgs(
  target: (typeof TARGETS)[number],
  options: { repo: string; home: string; socket: string; outDir: string },
): string[] {
  const daemonBinary = `${options.outDir}/pilot-daemon`;
  const flags = permissionFlags(target.program, {
    home: options.home,
    socket: options.socket,
    run: [daemonBinary],
  });
  return [
    "compile",
    ...flags,
    "--output",
    `${options.outDir}/${target.output}`,
    `${options.repo}/${target.entry}`,
  ];
}

async function main(): Promise<number> {
  const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const outFlag = Deno.args.indexOf("--out-dir");
  const outDir = outFlag >= 0 && Deno.args[outFlag + 1] !== undefined
    ? Deno.args[outFlag + 1]
    : `${repo}/dist`;
  const home = defaultPilotHome((name) => Deno.env.get(name));
  const socket = Deno.env.get("PILOT_SOCKET") ?? DEFAULT_SOCKET_PATH;
  for (const target of TARGETS) {
    const args = compileArgs(target, { repo, home, socket, outDir });
    printLine(`deno ${args.join(" ")}`);
    const status = await new Deno.Command(Deno.execPath(), { args, stdin: "null" }).spawn().status;
    if (status.code !== 0) {
      if (Deno.env.get("DENORT_BIN") === undefined) {
        printError(
          "compile failed: deno compile downloads its runtime (denort) unless DENORT_BIN names a local one; " +
            "on an offline machine set DENORT_BIN=/path/to/denort",
        );
      }
      return status.code;
    }
  }
  printLine(`built ${TARGETS.map((t) => `dist/${t.output}`).join(", ")} (home ${home}, socket ${socket})`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
