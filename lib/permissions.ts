/**
 * The one place that decides which Deno permissions each program gets. The compiled binaries
 * (`scripts/compile.ts`), the `deno task` launcher (`scripts/launch.ts`), `pilotctl daemon start` and the
 * test helpers all build their flags here, so every way of running the daemon runs it under the same set.
 *
 * Scoping rules: file access is limited to the pilot home, the IPC socket and files named on the command
 * line; environment access to the variables the programs read. The network is left open for the daemon
 * and the servers because peers, registries and beacons live at addresses only known at run time.
 *
 * @module
 */

/** Unstable APIs the programs use: `Deno.listenDatagram` (net) and `Deno.openKv` (kv). */
export const UNSTABLE_FLAGS: readonly string[] = ["--unstable-net", "--unstable-kv"];

/** Environment variables our programs read; reading any other one fails under these permissions. */
export const ENV_VARS: readonly string[] = [
  "HOME",
  "PILOT_HOME",
  "PILOT_SOCKET",
  "PILOT_REGISTRY",
  "PILOT_BEACON",
  "NO_COLOR",
  "TERM",
  // Deno KV Connect: a registry `-store https://…` authenticates with this token.
  "DENO_KV_ACCESS_TOKEN",
];

/**
 * The `kill` program pilotctl may run. Deno lets a program signal another process only with unscoped
 * `--allow-run` (which would let pilotctl run anything); `daemon stop` and the liveness checks of
 * `daemon start`/`status` run `kill` instead, so pilotctl's run permission stays a short list.
 */
export const KILL_EXECUTABLE = "/bin/kill";

/**
 * Where `gateway start` may find the program that adds loopback aliases for its mapped IPs
 * (services.md §9): `ip` on Linux (its path differs between distributions), `ifconfig` on macOS. The
 * gateway tries them in this order and only logs a failure, as the reference does; a subnet inside
 * 127.0.0.0/8 needs no alias on Linux and runs none of them. Changing aliases also needs root.
 */
export const LOOPBACK_ALIAS_EXECUTABLES: readonly string[] = [
  "/usr/sbin/ip",
  "/sbin/ip",
  "/usr/bin/ip",
  "/sbin/ifconfig",
];

/**
 * Variables only pilotctl reads: `node:child_process`, which `daemon start` needs to give the daemon its
 * log file as stdout and stderr, looks at `NODE_V8_COVERAGE` whenever it spawns.
 */
const PILOTCTL_ENV_VARS: readonly string[] = ["NODE_V8_COVERAGE"];

/**
 * V8 settings of the daemon (not a permission, but every way of running the daemon takes its flags
 * from here). Each datagram and segment is a small ArrayBuffer whose bytes live outside the JS heap,
 * so with the default young generation dead buffers piled up between collections: a 1 GB send-file
 * peaked at 215 MB (sender) and 171 MB (receiver). A 1 MiB semi-space collects them as they die:
 * 134 MB and 117 MB, and no slower (19 → 21 MB/s in the same comparison).
 */
export const DAEMON_V8_FLAGS: readonly string[] = ["--v8-flags=--max-semi-space-size=1"];

/** Programs of the project, each with its own permission set. */
export type Program = "daemon" | "pilotctl" | "registry" | "beacon";

/** Paths a program may touch. */
export interface PermissionScope {
  /** The pilot home (`~/.pilot` by default): identity, trust, inbox, received files, logs. */
  home: string;
  /** The IPC unix socket. */
  socket: string;
  /** Further files or folders to read (config file, identity outside the home, a store). */
  read?: readonly string[];
  /** Further files or folders to write. */
  write?: readonly string[];
  /**
   * For `pilotctl`: the executables `daemon start` may spawn (the deno binary when run from source, the
   * daemon binary when compiled). {@linkcode KILL_EXECUTABLE} is always added.
   */
  run?: readonly string[];
}

/**
 * The permission flags of one program.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./permissions.ts";
 * const flags = permissionFlags("daemon", { home: "/home/a/.pilot", socket: "/tmp/pilot.sock" });
 * if (flags.includes("-A") || flags.includes("--allow-all")) throw new Error("never everything");
 * ```
 */
export function permissionFlags(program: Program, scope: PermissionScope): string[] {
  const read = unique([scope.home, scope.socket, ...(scope.read ?? [])]);
  const write = unique([scope.home, scope.socket, ...(scope.write ?? [])]);
  const flags = [
    ...UNSTABLE_FLAGS,
    "--allow-net",
    `--allow-read=${read.join(",")}`,
    `--allow-write=${write.join(",")}`,
    `--allow-env=${(program === "pilotctl" ? [...ENV_VARS, ...PILOTCTL_ENV_VARS] : ENV_VARS).join(",")}`,
  ];
  if (program === "daemon") flags.push(...DAEMON_V8_FLAGS);
  if (program === "pilotctl") {
    // The daemon program `daemon start` launches, `kill` for `daemon stop` (see KILL_EXECUTABLE), and
    // the loopback-alias programs of `gateway start` (see LOOPBACK_ALIAS_EXECUTABLES).
    const run = [...(scope.run ?? []), KILL_EXECUTABLE, ...LOOPBACK_ALIAS_EXECUTABLES];
    flags.push(`--allow-run=${unique(run).join(",")}`);
  }
  return flags;
}

/** The default pilot home: `$PILOT_HOME`, else `$HOME/.pilot` (control.md §10.4). */
export function defaultPilotHome(env: (name: string) => string | undefined): string {
  const explicit = env("PILOT_HOME");
  if (explicit !== undefined && explicit !== "") return explicit;
  // An unset HOME gives `/.pilot`, as the reference's CLI does (cli.md §3.1).
  return `${env("HOME") ?? ""}/.pilot`;
}

/** The default IPC socket path of the daemon binary (control.md §9.1). */
export const DEFAULT_SOCKET_PATH = "/tmp/pilot.sock";

function unique(items: readonly string[]): string[] {
  return [...new Set(items.filter((item) => item !== ""))];
}
