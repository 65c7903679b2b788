/**
 * Test helpers of the CLI (not part of pilotctl): run one invocation in-process with a given
 * environment and captured output, or as a child process under pilotctl's own permission flags.
 *
 * @module
 */

import { permissionFlags } from "../lib/permissions.ts";
import { runPilotctl } from "./pilotctl.ts";

/** What one invocation produced. */
export interface PilotctlRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collector() {
  const parts: Uint8Array[] = [];
  return {
    sink: { write: (bytes: Uint8Array) => void parts.push(bytes.slice()) },
    text: () => {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
      let offset = 0;
      for (const p of parts) {
        all.set(p, offset);
        offset += p.byteLength;
      }
      return new TextDecoder().decode(all);
    },
  };
}

/** Runs pilotctl in this process with exactly the variables in `vars`. */
export async function runInProcess(argv: string[], vars: Record<string, string>): Promise<PilotctlRun> {
  const out = collector();
  const err = collector();
  const code = await runPilotctl(argv, {
    env: { get: (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined) },
    stdout: out.sink,
    stderr: err.sink,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const ENTRY = new URL("./pilotctl.ts", import.meta.url).pathname;

/** Runs `deno run <pilotctl permissions> cli/pilotctl.ts …` with `HOME` = `home` and only `vars` set. */
export async function runChild(argv: string[], options: ChildOptions): Promise<PilotctlRun> {
  const child = spawnChild(argv, { ...options, stdin: options.stdin ?? "null" });
  const writing = options.stdin instanceof Uint8Array ? writeStdin(child, options.stdin) : Promise.resolve();
  const [output] = await Promise.all([child.output(), writing]);
  const decoder = new TextDecoder();
  return { code: output.code, stdout: decoder.decode(output.stdout), stderr: decoder.decode(output.stderr) };
}

/** Options of {@linkcode runChild} and {@linkcode spawnChild}. */
export interface ChildOptions {
  /** `$HOME`; the pilot home is `${home}/.pilot` unless `PILOT_HOME` is in `vars`. */
  home: string;
  socket?: string;
  vars?: Record<string, string>;
  /** Bytes to pipe in, or `"null"` (the default of runChild). */
  stdin?: Uint8Array | "null" | "piped";
  /** Further files pilotctl may read (`send-file`). */
  read?: string[];
}

/**
 * Starts `deno run <pilotctl permissions> cli/pilotctl.ts …` as the launcher does (run: the deno
 * binary), with stdout and stderr piped, for commands a test runs alongside others.
 */
export function spawnChild(argv: string[], options: ChildOptions): Deno.ChildProcess {
  const socket = options.socket ?? `${options.home}/pilot.sock`;
  const home = options.vars?.PILOT_HOME ?? `${options.home}/.pilot`;
  const flags = permissionFlags("pilotctl", { home, socket, read: options.read, run: [Deno.execPath()] });
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, ENTRY, ...argv],
    clearEnv: true,
    env: { HOME: options.home, NO_COLOR: "1", PILOT_SOCKET: socket, ...options.vars },
    stdin: options.stdin instanceof Uint8Array ? "piped" : options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function writeStdin(child: Deno.ChildProcess, bytes: Uint8Array): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // pilotctl exited before reading everything; its exit code tells the test what happened.
  }
}
