/**
 * The daemon answers IPC failures with the reference's texts only (control.md §9.2), which lib/ipc
 * hands over as `ipc_error`. The SDK contract promises the codes the in-process stack uses, so an
 * application branches the same way on either form: this module gives the known texts their
 * transport codes and keeps the text itself as the message.
 *
 * @module
 */

import { isPilotError, PilotError } from "../errors.ts";
import type { ErrorCode } from "../errors.ts";

const KNOWN: ReadonlyArray<readonly [RegExp, ErrorCode]> = [
  [/^connection refused$/, "transport_refused"],
  [/^dial timeout$/, "transport_dial_timeout"],
  [/^port \d+ already bound$/, "transport_port_bound"],
  [/^send: connection (closed|not established)$/, "transport_closed"],
  [/broadcast is not available/, "transport_broadcast"],
];

/** `err` with a transport code when it is a daemon text the contract names; otherwise `err` itself. */
export function fromDaemon(err: unknown): unknown {
  if (!isPilotError(err, "ipc_error")) return err;
  for (const [text, code] of KNOWN) {
    if (text.test(err.message)) return new PilotError(code, err.message, { cause: err });
  }
  return err;
}
