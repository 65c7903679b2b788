/**
 * Library log lines of pilotctl (cli.md §4.1): records of the libraries a command runs in-process (the
 * gateway) printed in Go's default logger layout, `YYYY/MM/DD HH:MM:SS LEVEL message key=value …` in
 * local time, e.g. `2026/11/24 18:41:35 INFO gateway connected subnet=10.4.0.0/16`.
 *
 * They go through the renderer's progress channel, so they appear in text mode only: in `--json` mode
 * stderr carries nothing but the JSON error envelope (the reference prints them in both modes).
 *
 * @module
 */

import { createLogger, formatGoLogTime, type Logger, type LogLevel, type LogRecord } from "../lib/log.ts";
import type { Renderer } from "./render.ts";

/** A value as Go's slog text handler writes it: bare, or quoted when it has spaces, quotes, `=` or is empty. */
function formatValue(value: string): string {
  // deno-lint-ignore no-control-regex
  return value === "" || /[\s"=\\\u0000-\u001f\u007f]/.test(value) ? JSON.stringify(value) : value;
}

/** One record in Go's default logger layout, without the newline. */
export function formatGoLogLine(record: LogRecord): string {
  const parts = [formatGoLogTime(record.time), record.level.toUpperCase(), record.msg];
  for (const [key, value] of Object.entries(record.attrs)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(String(value))}`);
  }
  return parts.join(" ");
}

/** A logger whose records at `level` and above reach `out` as Go-style lines (text mode only). */
export function goLineLogger(out: Renderer, level: LogLevel = "info"): Logger {
  return createLogger({ level, sink: (record) => out.progress(`${formatGoLogLine(record)}\n`) });
}
