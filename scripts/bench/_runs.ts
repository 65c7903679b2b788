/**
 * Repeated runs for the end-to-end benchmarks. The performance issue asks for each target figure as a
 * median of at least 5 runs, printed with a raw baseline measured in the same run and the ratio of the
 * two medians. This module runs a measurement N times (`--runs=N`, default 5), summarises the samples
 * (median and min–max), formats a figure with its baseline and ratio, and says whether it meets a
 * target. Scripts keep their own measurements; only the reporting lives here.
 *
 * @module
 */

import { printLine } from "../_out.ts";

/** Runs per figure unless `--runs=N` says otherwise: the minimum. */
export const DEFAULT_RUNS = 5;

/** The `--runs=N` flag of a benchmark script, or `fallback`. */
export function runCount(args: readonly string[] = Deno.args, fallback = DEFAULT_RUNS): number {
  const flag = args.find((arg) => arg.startsWith("--runs="));
  if (flag === undefined) return fallback;
  const runs = Number(flag.slice("--runs=".length));
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) {
    throw new Error(`${flag}: runs must be a whole number from 1 to 1000`);
  }
  return runs;
}

/** The samples of one figure and their median and range. */
export interface Series {
  samples: readonly number[];
  median: number;
  min: number;
  max: number;
}

/** Median (the mean of the middle two for an even count), minimum and maximum of `samples`. */
export function summarize(samples: readonly number[]): Series {
  if (samples.length === 0) throw new Error("a series needs at least one sample");
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { samples, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Runs `measure` `runs` times, one after another (parallel runs would share the 2 cores). */
export async function repeat(runs: number, measure: (run: number) => Promise<number>): Promise<Series> {
  const [series] = await repeatInRounds(runs, [measure]);
  return series;
}

/**
 * Runs every measurement once per round, for `runs` rounds, and returns their series in the order
 * given. Interleaving matters on a noisy machine: a baseline measured in the same rounds as the figures
 * judged against it sees the same background load, so a busy minute moves both and not just the ratio.
 */
export async function repeatInRounds(
  runs: number,
  measures: readonly ((run: number) => Promise<number>)[],
): Promise<Series[]> {
  const samples = measures.map((): number[] => []);
  for (let run = 0; run < runs; run++) {
    for (const [i, measure] of measures.entries()) samples[i].push(await measure(run));
  }
  return samples.map(summarize);
}

/** How a figure is printed: unit and decimals. */
export interface Unit {
  name: string;
  digits: number;
}

/** `12.3 MB/s (10.1–14.0, 5 runs)`. */
export function formatSeries(series: Series, unit: Unit): string {
  const f = (n: number) => n.toFixed(unit.digits);
  const runs = `${series.samples.length} run${series.samples.length === 1 ? "" : "s"}`;
  return `${f(series.median)} ${unit.name} (${f(series.min)}–${f(series.max)}, ${runs})`;
}

/** One condition of a target, in the unit of the figure it judges. */
export interface Bound {
  /** As the reader sees it: "≥ 100 MB/s", "≥ 25% of raw", "≤ 3× raw". */
  text: string;
  limit: number;
  /** Whether the figure must be at least `limit` (throughput) or at most `limit` (latency). */
  isFloor: boolean;
}

/** The figure must be `limit` or more. */
export function atLeast(limit: number, text: string): Bound {
  return { text, limit, isFloor: true };
}

/** The figure must be `limit` or less. */
export function atMost(limit: number, text: string): Bound {
  return { text, limit, isFloor: false };
}

/**
 * `target ≥ 100 MB/s and ≥ 25% of raw: met`, or `NOT met (62% short of ≥ 100 MB/s)`: every bound the
 * value misses, with how far it misses it relative to the bound.
 */
export function verdict(value: number, bounds: readonly Bound[]): string {
  const misses: string[] = [];
  for (const bound of bounds) {
    const isMet = bound.isFloor ? value >= bound.limit : value <= bound.limit;
    if (isMet) continue;
    const gap = Math.abs(value - bound.limit) / bound.limit * 100;
    misses.push(`${gap.toFixed(0)}% ${bound.isFloor ? "short of" : "over"} ${bound.text}`);
  }
  const target = `target ${bounds.map((b) => b.text).join(" and ")}`;
  return misses.length === 0 ? `${target}: met` : `${target}: NOT met (${misses.join("; ")})`;
}

/** Our figure against its same-run baseline. */
export interface Comparison {
  label: string;
  ours: Series;
  unit: Unit;
  baselineLabel: string;
  baseline: Series;
  /** The baseline's unit when it differs from ours. */
  baselineUnit?: Unit;
  /** A share of the baseline (throughput) or a multiple of it (latency). */
  ratio: "percent" | "times";
  /** The targets the figure is held to; omitted, no verdict is printed. */
  bounds?: readonly Bound[];
}

/** The ratio of the two medians, as the comparison asks. */
export function formatRatio(ours: Series, baseline: Series, style: "percent" | "times"): string {
  const ratio = ours.median / baseline.median;
  return style === "percent" ? `${(ratio * 100).toFixed(1)}%` : `${ratio.toFixed(2)}×`;
}

/**
 * Prints a figure, its baseline and the ratio of medians on one line, and the verdict on the next:
 * ```
 * two processes, encrypted: 38.2 MB/s (35.1–40.3, 5 runs); raw UDP 640.2 MB/s (600.0–700.0, 5 runs); ratio 6.0%
 *   target ≥ 100 MB/s and ≥ 25% of raw: NOT met (62% short of ≥ 100 MB/s; 76% short of ≥ 25% of raw)
 * ```
 */
export function printComparison(c: Comparison): void {
  printLine(
    `${c.label}: ${formatSeries(c.ours, c.unit)}; ${c.baselineLabel} ${
      formatSeries(c.baseline, c.baselineUnit ?? c.unit)
    }; ratio of medians ${formatRatio(c.ours, c.baseline, c.ratio)}`,
  );
  if (c.bounds !== undefined) printLine(`  ${verdict(c.ours.median, c.bounds)}`);
}
