/**
 * CPU time and resident memory of running processes, from `/proc` (Linux), for the idle-daemon figure:
 * CPU as a share of one core over a window, RSS as `VmRSS`. Deno 2.9.6 refuses every read under
 * `/proc` unless the program has `--allow-all` (`--allow-read=/proc` is not enough), which the bench
 * runner never grants; so the files are read by {@linkcode PROC_READER}, the one program besides deno
 * that `scripts/run_benches.ts` lets the benchmarks run.
 *
 * Run as a program, this file is the idle baseline: a deno process that starts, says so on stdout and
 * then only waits for its stdin to close (no timers), measured the same way as the daemons.
 *
 * @module
 */

import { printLine } from "../_out.ts";

/** The program that reads `/proc` files for us (see the module comment). */
export const PROC_READER = "/usr/bin/cat";

/** Whether this process may run {@linkcode PROC_READER}. */
export function canReadProc(): boolean {
  return Deno.permissions.querySync({ name: "run", command: PROC_READER }).state === "granted";
}

/** What one process used over a window. */
export interface ProcessUsage {
  pid: number;
  /** CPU time over the window as a percentage of one core's time. */
  cpuPercent: number;
  /** `VmRSS` at the end of the window, in MB (10^6 bytes). */
  rssMb: number;
}

async function readProcFile(path: string): Promise<string> {
  const output = await new Deno.Command(PROC_READER, { args: [path], stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) throw new Error(`${PROC_READER} ${path}: ${new TextDecoder().decode(output.stderr)}`);
  return new TextDecoder().decode(output.stdout);
}

/**
 * Clock ticks every core has gone through since boot, from the `cpu` line of `/proc/stat` (user to
 * steal) over the number of `cpuN` lines. Dividing a process's ticks by the change of this one gives its
 * share of one core without knowing the tick rate (`getconf CLK_TCK`), which would be one more program.
 */
function ticksPerCore(procStat: string): number {
  const lines = procStat.split("\n");
  const total = lines.find((line) => line.startsWith("cpu "));
  const cores = lines.filter((line) => /^cpu\d+ /.test(line)).length;
  if (total === undefined || cores === 0) throw new Error("/proc/stat has no cpu lines");
  const ticks = total.trim().split(/\s+/).slice(1, 9).map(Number).reduce((sum, n) => sum + n, 0);
  return ticks / cores;
}

/** utime + stime of `/proc/<pid>/stat`, in clock ticks, summed over the process's threads. */
function processTicks(pidStat: string): number {
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = pidStat.slice(pidStat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]); // field 14 of proc(5), counted from the state field (3)
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable stat: ${pidStat}`);
  return utime + stime;
}

function rssMbOf(pidStatus: string): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(pidStatus);
  if (match === null) throw new Error("no VmRSS line in /proc/<pid>/status");
  return Number(match[1]) * 1024 / 1e6;
}

async function ticksNow(pids: readonly number[]): Promise<{ core: number; processes: number[] }> {
  const [procStat, ...pidStats] = await Promise.all([
    readProcFile("/proc/stat"),
    ...pids.map((pid) => readProcFile(`/proc/${pid}/stat`)),
  ]);
  return { core: ticksPerCore(procStat), processes: pidStats.map(processTicks) };
}

/** CPU share of one core of each process over the next `seconds`, and its RSS at the end. */
export async function measureUsage(pids: readonly number[], seconds: number): Promise<ProcessUsage[]> {
  const before = await ticksNow(pids);
  // The window is the measurement itself, not a wait for something to happen.
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = await ticksNow(pids);
  const statuses = await Promise.all(pids.map((pid) => readProcFile(`/proc/${pid}/status`)));
  const coreTicks = after.core - before.core;
  return pids.map((pid, i) => ({
    pid,
    cpuPercent: (after.processes[i] - before.processes[i]) / coreTicks * 100,
    rssMb: rssMbOf(statuses[i]),
  }));
}

/** An idle deno process (this file run as a program); close it with `stop()`. */
export interface IdleProcess {
  pid: number;
  stop(): Promise<void>;
}

/** Starts the idle baseline and resolves once its module has run (start-up work is over). */
export async function startIdleProcess(): Promise<IdleProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", new URL(import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  await reader.cancel();
  if (first.done) throw new Error("idle baseline process ended before it started");
  return {
    pid: child.pid,
    stop: async () => {
      await child.stdin.close();
      await child.status;
    },
  };
}

if (import.meta.main) {
  printLine("idle");
  // Waiting on stdin keeps the event loop alive without a timer; the parent ends it by closing stdin.
  await Deno.stdin.read(new Uint8Array(1));
}
