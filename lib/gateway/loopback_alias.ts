/**
 * Loopback aliases for mapped IPs (services.md §9): before the gateway listens on `<ip>:<port>`, the IP
 * must be local. Linux: `ip addr add <ip>/32 dev lo` (removal `ip addr del …`); macOS:
 * `ifconfig lo0 alias <ip>` (removal `ifconfig lo0 -alias <ip>`). Both need root. Failures are only
 * logged, as in the reference: the listeners then fail and are skipped.
 *
 * On Linux the whole of 127.0.0.0/8 is routed to `lo` already, so an IP in that range needs no alias
 * and no program is run at all (a subnet such as 127.77.0.0/16 works without root). macOS answers
 * only 127.0.0.1 by default, so there every IP gets its alias.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { LOOPBACK_ALIAS_EXECUTABLES } from "../permissions.ts";
import { isLoopbackRange, parseIpv4 } from "./ipv4.ts";

/** Adds and removes aliases; never throws (failures are logged). */
export interface LoopbackAliases {
  add(ip: string): Promise<void>;
  remove(ip: string): Promise<void>;
}

/** What the alias programs are run with; the default runs the real program. */
export type AliasRunner = (program: string, args: readonly string[]) => Promise<{ code: number }>;

/** One alias change: the program (first candidate that exists) and its arguments. */
export interface AliasCommand {
  readonly programs: readonly string[];
  readonly args: readonly string[];
}

/**
 * The command that adds (`"add"`) or removes (`"remove"`) the alias of `ip` on `os`, or `undefined`
 * when none is needed (Linux, 127.0.0.0/8) or the system has no known way (other systems, bad IP).
 *
 * @example
 * ```ts
 * import { aliasCommand } from "./loopback_alias.ts";
 * if (aliasCommand("linux", "add", "10.4.0.1")?.args.join(" ") !== "addr add 10.4.0.1/32 dev lo") {
 *   throw new Error();
 * }
 * if (aliasCommand("linux", "add", "127.77.0.1") !== undefined) throw new Error("already local");
 * ```
 */
export function aliasCommand(os: string, op: "add" | "remove", ip: string): AliasCommand | undefined {
  const value = parseIpv4(ip);
  if (value === undefined) return undefined;
  if (os === "linux") {
    if (isLoopbackRange(value)) return undefined;
    const programs = LOOPBACK_ALIAS_EXECUTABLES.filter((path) => path.endsWith("/ip"));
    return { programs, args: ["addr", op === "add" ? "add" : "del", `${ip}/32`, "dev", "lo"] };
  }
  if (os === "darwin") {
    const programs = LOOPBACK_ALIAS_EXECUTABLES.filter((path) => path.endsWith("/ifconfig"));
    return { programs, args: ["lo0", op === "add" ? "alias" : "-alias", ip] };
  }
  return undefined;
}

async function runProgram(program: string, args: readonly string[]): Promise<{ code: number }> {
  const output = await new Deno.Command(program, {
    args: [...args],
    stdin: "null",
    stdout: "null",
    stderr: "null",
    clearEnv: true,
  }).output();
  return { code: output.code };
}

/** Options of {@linkcode systemLoopbackAliases}. */
export interface SystemAliasOptions {
  logger: Logger;
  /** `Deno.build.os` unless given. */
  os?: string;
  /** Runs a program; the real one unless given (tests pass a recorder). */
  run?: AliasRunner;
}

/**
 * Aliases changed by the system's own program. Each failure is logged at error level as
 * `addLoopbackAlias failed` / `removeLoopbackAlias failed` with `ip`, `os` and `err` (`exit status 2`,
 * or why the program could not start), the record cli.md §16.4 shows.
 */
export function systemLoopbackAliases(options: SystemAliasOptions): LoopbackAliases {
  const os = options.os ?? Deno.build.os;
  const run = options.run ?? runProgram;
  const change = async (op: "add" | "remove", ip: string): Promise<void> => {
    const command = aliasCommand(os, op, ip);
    if (command === undefined) return;
    const failure = await firstSuccess(command, run);
    if (failure !== undefined) {
      options.logger.error(`${op === "add" ? "addLoopbackAlias" : "removeLoopbackAlias"} failed`, {
        ip,
        os,
        err: failure,
      });
    }
  };
  return { add: (ip) => change("add", ip), remove: (ip) => change("remove", ip) };
}

/** Runs the first candidate program that exists; returns the failure text, or `undefined` on success. */
async function firstSuccess(command: AliasCommand, run: AliasRunner): Promise<string | undefined> {
  let failure = "no alias program found";
  for (const program of command.programs) {
    try {
      const { code } = await run(program, command.args);
      return code === 0 ? undefined : `exit status ${code}`;
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
      // Not installed at this path: the next candidate may be. Anything else (permission) is final.
      if (!(err instanceof Deno.errors.NotFound)) return failure;
    }
  }
  return failure;
}
