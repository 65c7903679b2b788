/**
 * The only writer to stdout and stderr of pilotctl (cli.md §4). A command hands its result object (and,
 * for commands with a human layout, the text) to a {@linkcode Renderer}, which prints either the text /
 * indented JSON (text mode) or the one-line `{"data":…,"status":"ok"}` envelope (`--json`). Errors go to
 * stderr as `error: …`/`hint:  …` or as the error envelope; progress lines go to stderr in text mode only.
 *
 * JSON follows §4.4: keys sorted at every depth (by code point, i.e. UTF-8 byte order), `<`, `>`, `&`,
 * U+2028/9 escaped. Leaves are written by the project's `formatSortedJson`, so the escaping rule lives in
 * one place; this module only adds the layout (compact or Go's 2-space indent) and a key order that also
 * holds for integer-like keys, which a JS object would put first.
 *
 * @module
 */

import { PilotError } from "../lib/errors.ts";
import { formatSortedJson } from "../lib/ipc/mod.ts";

export * from "./format.ts";

/** Exit codes of §4.9. */
export const EXIT = { OK: 0, ERROR: 1, USAGE: 2 } as const;

/** Where bytes go; the default writes synchronously to the process's stdout or stderr. */
export interface OutputSink {
  write(bytes: Uint8Array): void;
}

/** The error codes of the envelope (§17), beyond the CLI codes of `lib/errors.ts`. */
export type EnvelopeCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "not_running"
  | "connection_failed"
  | "timeout"
  | "internal"
  | "internal_error"
  | "invalid_state"
  | "expired"
  | "unavailable";

/** An error as the user sees it. */
export interface Failure {
  code: EnvelopeCode;
  message: string;
  hint?: string;
}

const CLI_CODES: ReadonlySet<string> = new Set([
  "invalid_argument",
  "not_found",
  "already_exists",
  "not_running",
  "connection_failed",
  "timeout",
  "internal",
]);

/** Area codes that stand for one of §17's codes outside the `CliErrorCode` union. */
const AREA_CODES: Readonly<Record<string, EnvelopeCode>> = {
  service_unavailable: "unavailable",
  service_internal_error: "internal_error",
  service_invalid_state: "invalid_state",
  service_expired: "expired",
};

/** Maps anything thrown to its envelope form; unexpected errors become `internal`. */
export function toFailure(err: unknown): Failure {
  if (err instanceof PilotError) {
    const mapped = AREA_CODES[err.code];
    const code: EnvelopeCode = mapped ?? (isCliCode(err.code) ? err.code : "internal");
    return err.hint === undefined
      ? { code, message: err.message }
      : { code, message: err.message, hint: err.hint };
  }
  if (err instanceof Deno.errors.NotCapable) {
    return { code: "internal", message: `permission denied: ${err.message}` };
  }
  return { code: "internal", message: err instanceof Error ? err.message : String(err) };
}

function isCliCode(code: string): code is EnvelopeCode {
  return CLI_CODES.has(code);
}

const MAX_DEPTH = 64;

/**
 * JSON text of `value` with the reference's encoder rules (§4.4). `indent` gives Go's `MarshalIndent`
 * layout with two spaces (`[]` and `{}` stay on one line); without it the text is compact.
 *
 * @example
 * ```ts
 * import { formatJson } from "./render.ts";
 * if (formatJson({ b: [], a: "<" }, true) !== '{\n  "a": "\\u003c",\n  "b": []\n}') throw new Error();
 * ```
 */
export function formatJson(value: unknown, indent = false): string {
  return encode(value, indent ? "\n" : "", indent, 0);
}

function encode(value: unknown, newline: string, indent: boolean, depth: number): string {
  if (depth > MAX_DEPTH) throw new Error("formatJson: value nested deeper than 64 levels");
  if (value === undefined || value === null || typeof value === "function") return "null";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = newline === "" ? "" : newline + "  ";
    const items = value.map((item) => encode(item, inner, indent, depth + 1));
    return `[${inner}${items.join(`,${inner}`)}${newline}]`;
  }
  if (typeof value === "object" && !(value instanceof Date)) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) =>
      compareCodePoints(a, b)
    );
    if (entries.length === 0) return "{}";
    const inner = newline === "" ? "" : newline + "  ";
    const colon = indent ? ": " : ":";
    const members = entries.map(([key, item]) =>
      `${formatSortedJson(key)}${colon}${encode(item, inner, indent, depth + 1)}`
    );
    return `{${inner}${members.join(`,${inner}`)}${newline}}`;
  }
  return formatSortedJson(value);
}

const SURROGATE = /[\ud800-\udfff]/;

/** Code-point order, which is UTF-8 byte order; UTF-16 `<` differs only when surrogates are involved. */
function compareCodePoints(a: string, b: string): number {
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const pa = [...a].map((ch) => ch.codePointAt(0) ?? 0);
  const pb = [...b].map((ch) => ch.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i] - pb[i];
  }
  return pa.length - pb.length;
}

const encoder = new TextEncoder();

/** A sink over a `Deno.stdout`-like writer that writes every byte before returning. */
export function syncSink(target: { writeSync(bytes: Uint8Array): number }): OutputSink {
  return {
    write(bytes: Uint8Array): void {
      for (let offset = 0; offset < bytes.byteLength;) offset += target.writeSync(bytes.subarray(offset));
    },
  };
}

/** Options of {@linkcode Renderer}. */
export interface RendererOptions {
  /** `--json` was given. */
  json: boolean;
  stdout?: OutputSink;
  stderr?: OutputSink;
  /** Whether stdout is a terminal (progress meters); default `Deno.stdout.isTerminal()`. */
  isTerminal?: boolean;
}

/** Prints one invocation's output in the mode chosen by `--json` (§4.1–§4.3). */
export class Renderer {
  readonly json: boolean;
  readonly #stdout: OutputSink;
  readonly #stderr: OutputSink;
  readonly #isTerminal: boolean;

  constructor(options: RendererOptions) {
    this.json = options.json;
    this.#stdout = options.stdout ?? syncSink(Deno.stdout);
    this.#stderr = options.stderr ?? syncSink(Deno.stderr);
    this.#isTerminal = options.isTerminal ?? (options.stdout === undefined && Deno.stdout.isTerminal());
  }

  /** True when a progress meter may be drawn: text mode with stdout on a terminal. */
  get showsProgress(): boolean {
    return !this.json && this.#isTerminal;
  }

  /**
   * Prints a successful result: the envelope in JSON mode; otherwise `text` plus a newline, or `data` as
   * indented JSON when the command has no human layout.
   */
  result(data: unknown, text?: string): void {
    if (this.json) this.#write(this.#stdout, `${formatJson({ data, status: "ok" })}\n`);
    else this.#write(this.#stdout, `${text ?? formatJson(data, true)}\n`);
  }

  /** Raw text on stdout in text mode (streamed data); nothing in JSON mode. */
  text(text: string): void {
    if (!this.json) this.#write(this.#stdout, text);
  }

  /** Raw bytes on stdout in text mode (received data printed verbatim); nothing in JSON mode. */
  bytes(data: Uint8Array): void {
    if (!this.json) this.#stdout.write(data);
  }

  /** One compact JSON line on stdout without an envelope (streamed NDJSON, §4.2); JSON mode only. */
  ndjson(record: unknown): void {
    if (this.json) this.#write(this.#stdout, `${formatJson(record)}\n`);
  }

  /** Progress or hint text on stderr, text mode only (`resolved "x" → …`); written as given. */
  progress(text: string): void {
    if (!this.json) this.#write(this.#stderr, text);
  }

  /** Prints `err` on stderr (§4.2, §4.3) and returns exit code 1. */
  error(err: unknown): number {
    const failure = toFailure(err);
    if (this.json) {
      this.#write(this.#stderr, `${formatJson({ ...failure, status: "error" })}\n`);
    } else {
      const hint = failure.hint === undefined ? "" : `hint:  ${failure.hint}\n`;
      this.#write(this.#stderr, `error: ${failure.message}\n${hint}`);
    }
    return EXIT.ERROR;
  }

  /** The usage text on stderr (both modes), optionally after a first line; returns exit code 2. */
  usage(usageText: string, firstLine?: string): number {
    this.#write(this.#stderr, firstLine === undefined ? usageText : `${firstLine}\n\n${usageText}`);
    return EXIT.USAGE;
  }

  #write(sink: OutputSink, text: string): void {
    sink.write(encoder.encode(text));
  }
}
