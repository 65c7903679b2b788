/**
 * The two local-time renderings of the inbox and received folders (services.md §4.3, §4.4): the name
 * stamp `YYYYMMDD-HHMMSS.mmm` and Go's RFC 3339 at second precision (`Z` for a zero offset).
 *
 * @module
 */

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** `20261124-183302.877` in local time, milliseconds truncated as Go's `.000` layout does. */
export function formatNameStamp(date: Date): string {
  return `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1, 2)}${pad(date.getDate(), 2)}-` +
    `${pad(date.getHours(), 2)}${pad(date.getMinutes(), 2)}${pad(date.getSeconds(), 2)}.` +
    pad(date.getMilliseconds(), 3);
}

/** `2026-11-24T18:33:02Z` or `2026-11-24T19:33:02+01:00`, local time. */
export function formatLocalRfc3339(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const zone = offset === 0
    ? "Z"
    : `${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${
      pad(Math.abs(offset) % 60, 2)
    }`;
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}T` +
    `${pad(date.getHours(), 2)}:${pad(date.getMinutes(), 2)}:${pad(date.getSeconds(), 2)}${zone}`;
}
