/**
 * Webhook time stamps (control.md §10.8): UTC RFC 3339 with up to nine fractional digits, trailing
 * zeros trimmed and no dot at all for a whole second, as the reference's JSON writes a time. Instants
 * are bigint nanoseconds since the Unix epoch, so the formatter is exact and the clock is injectable.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

const NS_PER_MS = 1_000_000n;
const NS_PER_SECOND = 1_000_000_000n;

/**
 * Formats an instant as the reference does; throws `service_webhook_time` outside years 0–9999, which
 * the reference refuses to write too.
 *
 * @example
 * ```ts
 * import { formatRfc3339Nano } from "./timestamp.ts";
 * if (formatRfc3339Nano(1_795_545_243_521_488_654n) !== "2026-11-24T18:34:03.521488654Z") throw new Error();
 * if (formatRfc3339Nano(1_795_545_243_000_000_000n) !== "2026-11-24T18:34:03Z") throw new Error();
 * ```
 */
export function formatRfc3339Nano(epochNs: bigint): string {
  // Floor division, so an instant before 1970 keeps a non-negative fraction.
  let seconds = epochNs / NS_PER_SECOND;
  let fraction = epochNs % NS_PER_SECOND;
  if (fraction < 0n) {
    fraction += NS_PER_SECOND;
    seconds -= 1n;
  }
  const date = new Date(Number(seconds) * 1000);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new PilotError("service_webhook_time", `time stamp ${epochNs} ns is outside years 0-9999`);
  }
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const whole = `${pad(year, 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  const digits = fraction.toString().padStart(9, "0").replace(/0+$/, "");
  return digits === "" ? `${whole}Z` : `${whole}.${digits}Z`;
}

/** Converts a `Date` to epoch nanoseconds; throws `service_webhook_time` for an invalid date. */
export function dateToEpochNs(date: Date): bigint {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new PilotError("service_webhook_time", "invalid date");
  return BigInt(ms) * NS_PER_MS;
}

/**
 * The wall clock in epoch nanoseconds, with microsecond digits when the high-resolution clock is
 * trustworthy. `performance.timeOrigin + performance.now()` runs on the monotonic clock, which drifts
 * from wall time when the system clock is stepped; we use it only while it agrees with `Date.now()`
 * to within a millisecond, and fall back to whole milliseconds otherwise (never invented digits).
 *
 * @example
 * ```ts
 * import { wallClockNs } from "./timestamp.ts";
 * const ms = Date.now();
 * if (wallClockNs() / 1_000_000n < BigInt(ms) - 1n) throw new Error("not behind the wall clock");
 * ```
 */
export function wallClockNs(): bigint {
  const dateMs = Date.now();
  // Summed as integer microseconds: the float sum of the two would lose the sub-microsecond part anyway,
  // and microseconds are all performance.now() reports.
  const highResUs = Math.round(performance.timeOrigin * 1000) + Math.round(performance.now() * 1000);
  const dateUs = dateMs * 1000;
  if (Number.isSafeInteger(highResUs) && highResUs >= dateUs - 1000 && highResUs < dateUs + 2000) {
    return BigInt(highResUs) * 1000n;
  }
  return BigInt(dateMs) * NS_PER_MS;
}
