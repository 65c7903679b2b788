/**
 * The one error class of the project. Callers branch on `code`, never on the message.
 *
 * Codes shared with the CLI's `--json` envelope are plain snake_case names; codes internal to an area carry
 * that area's prefix (`proto_`, `tunnel_`, ...), so an area can add codes without touching this file.
 *
 * @module
 */

/** Codes that reach users through `pilotctl` and its `--json` envelope. */
export type CliErrorCode =
  | "invalid_argument"
  | "not_found"
  | "already_exists"
  | "not_running"
  | "connection_failed"
  | "timeout"
  | "internal";

/** Area prefixes for internal codes. */
export type ErrorArea =
  | "proto"
  | "frame"
  | "tunnel"
  | "crypto"
  | "identity"
  | "registry"
  | "beacon"
  | "ipc"
  | "transport"
  | "config"
  | "store"
  | "service";

/** Every code a `PilotError` may carry. */
export type ErrorCode = CliErrorCode | `${ErrorArea}_${string}`;

/** Options of {@linkcode PilotError}. */
export interface PilotErrorOptions {
  /** What the user can do about it, lower-case, no trailing period. */
  hint?: string;
  /** The lower-level error this one explains. */
  cause?: unknown;
}

/**
 * An expected failure: bad input, a refused connection, a timeout. A broken invariant is a plain `Error`.
 *
 * @example
 * ```ts
 * import { PilotError } from "./errors.ts";
 * const err = new PilotError("proto_truncated", "packet too short: 3 bytes (min 34)");
 * if (err.code !== "proto_truncated") throw new Error("code is kept");
 * ```
 */
export class PilotError extends Error {
  override readonly name = "PilotError";
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: PilotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

/** True when `err` is a {@linkcode PilotError}, optionally with the given code. */
export function isPilotError(err: unknown, code?: ErrorCode): err is PilotError {
  return err instanceof PilotError && (code === undefined || err.code === code);
}

/**
 * The text of any thrown value: an `Error`'s message (a {@linkcode PilotError}'s included), else
 * `String(err)`. For log attributes and replies that carry a lower error's words.
 *
 * @example
 * ```ts
 * import { errorText } from "./errors.ts";
 * if (errorText(new Error("boom")) !== "boom" || errorText(7) !== "7") throw new Error("message or String()");
 * ```
 */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
