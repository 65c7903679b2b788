/**
 * The polo reward of one finished task (services.md §6.11), from the times the receiver measured: a CPU
 * bonus that grows with log2 of the minutes of work, scaled down by how long the task sat unanswered
 * (idle) and queued (staged). The code's scaling is followed, not the reference's agent guide.
 *
 * @module
 */

/** The three measured times, in ms; negative values count as 0. */
export interface TaskTimes {
  idleMs: number;
  stagedMs: number;
  cpuMs: number;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/**
 * The raw (unrounded) reward.
 *
 * @example
 * ```ts
 * import { rawReward } from "./reward.ts";
 * if (Math.abs(rawReward({ idleMs: 30_000, stagedMs: 0, cpuMs: 180_000 }) - 2.55) > 1e-9) throw new Error("§6.11");
 * ```
 */
export function rawReward(times: TaskTimes): number {
  const idle = Math.max(0, times.idleMs);
  const staged = Math.max(0, times.stagedMs);
  const cpu = Math.max(0, times.cpuMs);
  const cpuBonus = Math.log2(1 + cpu / 60_000);
  const idleFactor = clamp(0.3 * (idle / 1000) / 60, 0, 0.3);
  const stagedFactor = clamp(0.3 * (staged / 1000) / 600, 0, 0.3);
  const efficiency = Math.max(1 - idleFactor - stagedFactor, 0.4);
  return (1 + cpuBonus) * efficiency;
}

/** The reward in whole points: `raw` rounded half up, at least 1. */
export function computeReward(times: TaskTimes): number {
  const raw = rawReward(times);
  if (!Number.isFinite(raw)) return 1;
  const reward = Math.floor(raw + 0.5);
  return reward < 1 ? 1 : reward;
}
