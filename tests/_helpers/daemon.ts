/**
 * Starts real daemons as child processes, each in its own temp home with its own socket, under exactly
 * the permission flags of the compiled binary (`lib/permissions.ts`). The helper reads the daemon's JSON
 * log on stderr until `"daemon running"` (logged once every port is bound) and keeps every line for the
 * failure message of the test that uses it.
 *
 * @module
 */

import { permissionFlags } from "../../lib/permissions.ts";
import { withDeadline } from "./deadline.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Options of {@linkcode startDaemon}. */
export interface StartDaemonOptions {
  /** Registry `host:port`; omitted, the daemon runs its embedded registry and beacon. */
  registry?: string;
  beacon?: string;
  /** Further daemon flags. */
  flags?: string[];
  /** Reuse a home (for restart tests); a fresh temp dir otherwise. */
  home?: string;
  /** Keep the home when the daemon stops (for restart tests). */
  keepHome?: boolean;
  readyTimeoutMs?: number;
  /** Deno runtime flags for the daemon's process (a benchmark's `--cpu-prof`); none by default. */
  denoFlags?: string[];
}

/** A running daemon. */
export interface TestDaemon extends AsyncDisposable {
  /** The test's `$HOME`; the pilot home is `${home}/.pilot`. */
  home: string;
  /** The daemon's process id. */
  pid: number;
  pilotHome: string;
  socket: string;
  nodeId: number;
  address: string;
  /** The `"daemon running"` record: embedded servers' addresses, tunnel endpoint, ... */
  ready: Record<string, unknown>;
  /** Every log line so far, for assertion messages. */
  log(): string;
  /** Resolves with the first JSON log record that satisfies `match`. */
  waitForLog(
    match: (record: Record<string, unknown>) => boolean,
    ms?: number,
  ): Promise<Record<string, unknown>>;
  /** SIGTERM, then waits for exit; returns the exit code. Idempotent. */
  stop(): Promise<number>;
}

/** Starts `main.ts` as a child process and waits until it is ready. */
export async function startDaemon(options: StartDaemonOptions = {}): Promise<TestDaemon> {
  const home = options.home ?? await Deno.makeTempDir({ prefix: "pd-" });
  const pilotHome = `${home}/.pilot`;
  const socket = `${home}/pilot.sock`;
  const args = [
    "run",
    ...(options.denoFlags ?? []),
    ...permissionFlags("daemon", { home: pilotHome, socket }),
    MAIN,
    "-socket",
    socket,
    "-listen",
    "127.0.0.1:0",
    "-log-format",
    "json",
    "-log-level",
    "debug",
    ...(options.registry === undefined ? ["-embedded-ports", "0"] : ["-registry", options.registry]),
    ...(options.beacon === undefined ? [] : ["-beacon", options.beacon]),
    ...(options.flags ?? []),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { HOME: home, PILOT_HOME: pilotHome },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const waiters: Array<
    { match: (r: Record<string, unknown>) => boolean; resolve: (r: Record<string, unknown>) => void }
  > = [];
  const ready = Promise.withResolvers<Record<string, unknown>>();
  const drained = (async () => {
    // Read to the end: a full pipe would stall the daemon.
    let carry = "";
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      const parts = (carry + decoder.decode(chunk, { stream: true })).split("\n");
      carry = parts.pop() ?? "";
      for (const line of parts) {
        lines.push(line);
        const record = parseRecord(line);
        if (record === undefined) continue;
        if (record.msg === "daemon running") ready.resolve(record);
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (waiters[i].match(record)) waiters.splice(i, 1)[0].resolve(record);
        }
      }
    }
    if (carry !== "") lines.push(carry);
    ready.reject(new Error(`daemon exited before it was ready:\n${lines.join("\n")}`));
  })();
  let stopping: Promise<number> | undefined;
  const stop = () =>
    stopping ??= (async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // It already exited; its status is still collected below.
      }
      const status = await child.status;
      await drained;
      if (options.keepHome !== true && options.home === undefined) {
        await Deno.remove(home, { recursive: true }).catch(() => {
          // A leftover temp dir is removed with the test run's folder.
        });
      }
      return status.code;
    })();
  try {
    const record = await withDeadline(
      ready.promise,
      options.readyTimeoutMs ?? 20_000,
      'daemon did not log "daemon running"',
    );
    return {
      home,
      pid: child.pid,
      pilotHome,
      socket,
      nodeId: Number(record.node_id),
      address: String(record.addr),
      ready: record,
      log: () => lines.join("\n"),
      waitForLog: (match, ms = 10_000) => {
        for (const line of lines) {
          const record = parseRecord(line);
          if (record !== undefined && match(record)) return Promise.resolve(record);
        }
        const found = Promise.withResolvers<Record<string, unknown>>();
        waiters.push({ match, resolve: found.resolve });
        return withDeadline(found.promise, ms, "expected log record did not appear");
      },
      stop,
      [Symbol.asyncDispose]: async () => {
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw new Error(`${err instanceof Error ? err.message : err}\n--- daemon log ---\n${lines.join("\n")}`);
  }
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value))
      : undefined;
  } catch {
    return undefined; // a crash trace or a partial line: kept in `lines`, not a record
  }
}
