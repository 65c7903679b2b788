/**
 * Runs one of the programs from source under the same permission set its compiled binary carries
 * (`lib/permissions.ts`). The flags that name files (`-socket`, `-identity`, `-config`, `-store`, ...)
 * widen the file scope to exactly those files, as they would for a binary built with them.
 *
 * Usage: `deno task <start|daemon|pilotctl|registry|beacon> [program flags]`.
 *
 * @module
 */

import { DEFAULT_SOCKET_PATH, defaultPilotHome, permissionFlags, type Program } from "../lib/permissions.ts";
import { waitForwardingSignals } from "../lib/flags/program_flags.ts";
import { printError } from "./_out.ts";

const ENTRY_POINTS: Record<Program, string> = {
  daemon: "../main.ts",
  pilotctl: "../cli/pilotctl.ts",
  registry: "../cli/registry.ts",
  beacon: "../cli/beacon.ts",
};

/** Flags (Go-style single dash or double dash) whose value is a file the program reads or writes. */
const PATH_FLAGS = [
  "socket",
  "identity",
  "config",
  "store",
  "data-dir",
  "snapshot",
  "import-snapshot",
  "file",
];

/** Returns the value given to `-name`/`--name` (as `-name v` or `-name=v`), if any. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    for (const prefix of [`-${name}`, `--${name}`]) {
      if (arg === prefix && i + 1 < args.length) return args[i + 1];
      if (arg.startsWith(prefix + "=")) return arg.slice(prefix.length + 1);
    }
  }
  return undefined;
}

/** Files named on the command line, which the program must be allowed to touch. */
export function pathsFromArgs(args: readonly string[]): string[] {
  const paths: string[] = [];
  // pilotctl reads the file it sends (`send-file <target> <path>`) and the one `--file` names.
  const positional = args.filter((arg) => !arg.startsWith("-"));
  if (positional[0] === "send-file" && positional[2] !== undefined) paths.push(positional[2]);
  for (const name of PATH_FLAGS) {
    const value = flagValue(args, name);
    // A KV Connect URL is a network store, not a file.
    if (value !== undefined && value !== "" && !/^[a-z]+:\/\//i.test(value)) paths.push(value);
  }
  return paths;
}

async function main(): Promise<number> {
  const [which, ...args] = Deno.args;
  const program: Program | undefined = which === "start" ? "daemon" : (which as Program);
  if (!(program in ENTRY_POINTS)) {
    printError(`usage: launch.ts <start|daemon|pilotctl|registry|beacon> [flags]`);
    return 2;
  }
  const env = (name: string) => Deno.env.get(name);
  const home = defaultPilotHome(env);
  const socket = flagValue(args, "socket") ?? env("PILOT_SOCKET") ?? DEFAULT_SOCKET_PATH;
  const named = pathsFromArgs(args).flatMap((path) => [path, ...sqliteCompanions(path)]);
  const flags = permissionFlags(program, {
    home,
    socket,
    read: named,
    write: named,
    run: [Deno.execPath()],
  });
  const entry = new URL(ENTRY_POINTS[program], import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, entry, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // A `kill` aimed at the launcher must reach the program too, so that it shuts down in order.
  const status = await waitForwardingSignals(child);
  return status.code;
}

/** A Deno KV file is SQLite: it keeps `-wal`, `-shm` and `-journal` files beside the database. */
function sqliteCompanions(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`, `${path}-journal`];
}

if (import.meta.main) Deno.exit(await main());
