/**
 * The human formats of pilotctl's text mode (cli.md §4.3, §4.5–§4.8): printf-style padding counted in
 * code points, sizes with 1024 steps and half-to-even rounding, Go durations, `HH:MM:SS` uptimes and
 * local or UTC timestamps. Pure functions; `cli/render.ts` writes what they return.
 *
 * @module
 */

import { formatGoDuration } from "../lib/flags/mod.ts";

/** `%-<width>s`: `text` left-aligned and padded with spaces to `width` code points, never truncated. */
export function padEnd(text: string, width: number): string {
  let length = 0;
  for (const _ of text) length++;
  return length >= width ? text : text + " ".repeat(width - length);
}

/**
 * `%.<digits>f` as the reference prints it: the exact binary value rounded to nearest, an exact tie to
 * the even digit (§4.7). `toFixed` alone rounds ties up, so `1.25` would become `1.3` instead of `1.2`.
 *
 * @example
 * ```ts
 * import { formatFixed } from "./format.ts";
 * if (formatFixed(1.25, 1) !== "1.2" || formatFixed(1.35, 1) !== "1.4") throw new Error("half-even");
 * ```
 */
export function formatFixed(value: number, digits: number): string {
  if (!Number.isFinite(value)) return String(value);
  const scale = 10 ** digits;
  const scaled = value * scale;
  const floor = Math.floor(scaled);
  // Only an exactly representable x.5 is a tie; anything else toFixed already rounds correctly.
  if (scaled - floor === 0.5 && scaled / scale === value) {
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (even / scale).toFixed(digits);
  }
  return value.toFixed(digits);
}

const KIB = 1024;
const MIB = 1024 * 1024;
const GIB = 1024 * 1024 * 1024;

/** `formatBytes` of §4.7: `0 B`, `40.1 KB`, `2.0 MB`, `265.9 MB`, `1.5 GB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${formatFixed(bytes / GIB, 1)} GB`;
  if (bytes >= MIB) return `${formatFixed(bytes / MIB, 1)} MB`;
  if (bytes >= KIB) return `${formatFixed(bytes / KIB, 1)} KB`;
  return `${bytes} B`;
}

/** A Go duration string for `ms` milliseconds (§4.6): `850ns`, `463.728µs`, `1.5s`, `2m0s`, `1h0m0s`. */
export function formatDuration(ms: number): string {
  return formatGoDuration(ms);
}

/** `HH:MM:SS` from whole seconds (§4.6); hours may exceed 99. */
export function formatUptime(totalSeconds: number): string {
  const secs = Math.max(0, Math.trunc(totalSeconds));
  return `${two(Math.trunc(secs / 3600))}:${two(Math.trunc(secs / 60) % 60)}:${two(secs % 60)}`;
}

function two(n: number): string {
  return String(n).padStart(2, "0");
}

/** `YYYY-MM-DD HH:MM:SS` in local time from Unix seconds (`pending`, `trust`; §4.8). */
export function formatLocalDateTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** RFC 3339 in local time with seconds precision: `…Z` in UTC, `…+01:00` elsewhere (§4.8). */
export function formatRfc3339Local(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const stamp = `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
  if (offsetMinutes === 0) return `${stamp}Z`;
  const sign = offsetMinutes > 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  return `${stamp}${sign}${two(Math.trunc(abs / 60))}:${two(abs % 60)}`;
}

/** RFC 3339 in UTC with seconds precision (task timestamps, §4.8). */
export function formatRfc3339Utc(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Milliseconds from elapsed microseconds, as the `rtt_ms`/`setup_ms` JSON numbers of §4.6. */
export function microsToMs(micros: number): number {
  return Math.trunc(micros) / 1000;
}
