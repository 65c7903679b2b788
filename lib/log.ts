/**
 * Structured logging: a record is a short message plus typed attributes (control.md §10.7). The logger
 * is passed in through options, never imported as a global; sinks decide between text and JSON lines.
 * This is the only module that writes to stderr.
 *
 * @module
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Attribute values a record may carry. */
export type LogValue = string | number | boolean | null | undefined | bigint;

/** Attributes of one record. */
export type LogAttrs = Record<string, LogValue>;

/** One log record as handed to a sink. */
export interface LogRecord {
  time: Date;
  level: LogLevel;
  msg: string;
  attrs: LogAttrs;
}

/** Where records go. */
export type LogSink = (record: LogRecord) => void;

/** What every component receives to report what it does. */
export interface Logger {
  debug(msg: string, attrs?: LogAttrs): void;
  info(msg: string, attrs?: LogAttrs): void;
  warn(msg: string, attrs?: LogAttrs): void;
  error(msg: string, attrs?: LogAttrs): void;
  /** A logger that adds `attrs` to every record. */
  child(attrs: LogAttrs): Logger;
  /** True when records of `level` would be written (skip building costly attributes otherwise). */
  isEnabled(level: LogLevel): boolean;
}

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Parses a `-log-level` value; unknown values mean `info`, as in the reference (control.md §10.1). */
export function parseLogLevel(text: string): LogLevel {
  const lower = text.toLowerCase();
  if (lower === "warning") return "warn";
  return lower === "debug" || lower === "warn" || lower === "error" ? lower : "info";
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  level?: LogLevel;
  format?: "text" | "json";
  /** Defaults to a sink writing lines to stderr. */
  sink?: LogSink;
}

/**
 * Builds a logger.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * const lines: string[] = [];
 * const log = createLogger({ level: "info", sink: (r) => lines.push(r.msg) });
 * log.debug("skipped");
 * log.child({ peer: 2 }).info("tunnel up");
 * if (lines.join() !== "tunnel up") throw new Error("debug is filtered");
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const minRank = LEVEL_RANK[options.level ?? "info"];
  const sink = options.sink ?? stderrSink(options.format ?? "text");
  const make = (base: LogAttrs): Logger => {
    const emit = (level: LogLevel, msg: string, attrs?: LogAttrs) => {
      if (LEVEL_RANK[level] < minRank) return;
      sink({ time: new Date(), level, msg, attrs: attrs === undefined ? base : { ...base, ...attrs } });
    };
    return {
      debug: (msg, attrs) => emit("debug", msg, attrs),
      info: (msg, attrs) => emit("info", msg, attrs),
      warn: (msg, attrs) => emit("warn", msg, attrs),
      error: (msg, attrs) => emit("error", msg, attrs),
      child: (attrs) => make({ ...base, ...attrs }),
      isEnabled: (level) => LEVEL_RANK[level] >= minRank,
    };
  };
  return make({});
}

/** A logger that drops everything: for library users who pass none. */
export const NULL_LOGGER: Logger = createLogger({ level: "error", sink: () => {} });

/** Formats a record as one `key=value` text line (the reference's text handler layout). */
export function formatTextRecord(record: LogRecord): string {
  const parts = [`time=${record.time.toISOString()}`, `level=${record.level.toUpperCase()}`];
  parts.push(`msg=${quoteIfNeeded(record.msg)}`);
  for (const [key, value] of Object.entries(record.attrs)) {
    if (value === undefined) continue;
    parts.push(`${key}=${quoteIfNeeded(String(value))}`);
  }
  return parts.join(" ");
}

/** Formats a record as one JSON object line with `time`, `level`, `msg` and the attributes. */
export function formatJsonRecord(record: LogRecord): string {
  const out: Record<string, unknown> = {
    time: record.time.toISOString(),
    level: record.level.toUpperCase(),
    msg: record.msg,
  };
  for (const [key, value] of Object.entries(record.attrs)) {
    if (value === undefined) continue;
    out[key] = typeof value === "bigint" ? value.toString() : value;
  }
  return JSON.stringify(out);
}

function quoteIfNeeded(text: string): string {
  return text === "" || /[\s"=\\]/.test(text) ? JSON.stringify(text) : text;
}

function stderrSink(format: "text" | "json"): LogSink {
  const formatRecord = format === "json" ? formatJsonRecord : formatTextRecord;
  return (record) => writeStderr(formatRecord(record) + "\n");
}

const stderrEncoder = new TextEncoder();

/**
 * Writes text to stderr as it stands: for what programs print before logging is configured (usage
 * text, a bad `-config` file), as Go's flag and log packages do.
 */
export function writeStderr(text: string): void {
  const bytes = stderrEncoder.encode(text);
  // writeSync loops because a pipe may take fewer bytes than offered.
  for (let offset = 0; offset < bytes.byteLength;) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

/** Go's `log` package time stamp, `YYYY/MM/DD HH:MM:SS` in local time (control.md §10.2). */
export function formatGoLogTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}/${pad(date.getMonth() + 1)}/${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
