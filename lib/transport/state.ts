/**
 * Connection states (`spec/network.md` §5.2) and the transitions a connection may make. Names follow the
 * spec; `fin-wait` is the one state the reference never enters, and we give it a meaning of our own:
 * the application has closed, and our FIN waits behind data not yet acknowledged (Q17). LISTEN and
 * CLOSE_WAIT are absent: listeners are separate objects and there is no half-close.
 *
 * @module
 */

/** A connection's state. */
export type StreamState = "closed" | "syn-sent" | "syn-received" | "established" | "fin-wait" | "time-wait";

/** Why a connection's receive side ended or the connection went away. */
export type EndReason =
  | "fin"
  | "rst"
  | "local-close"
  | "idle-timeout"
  | "retransmit-limit"
  | "refused"
  | "dial-timeout"
  | "shutdown"
  | "accept-queue-full"
  | "replaced"
  | "time-wait-expired";

/** The state as the reference shows it (§5.2 "Name shown"). */
export const STATE_NAMES: Readonly<Record<StreamState, string>> = {
  "closed": "CLOSED",
  "syn-sent": "SYN_SENT",
  "syn-received": "SYN_RECV",
  "established": "ESTABLISHED",
  "fin-wait": "FIN_WAIT",
  "time-wait": "TIME_WAIT",
};

const TRANSITIONS: Readonly<Record<StreamState, readonly StreamState[]>> = {
  // From "closed" only before the connection ever opened; afterwards it is final.
  "closed": ["syn-sent", "syn-received"],
  "syn-sent": ["established", "time-wait", "closed"],
  "syn-received": ["established", "closed"],
  "established": ["fin-wait", "time-wait", "closed"],
  "fin-wait": ["time-wait", "closed"],
  "time-wait": ["closed"],
};

/** True when a connection in `from` that has (or has not) been opened before may move to `to`. */
export function canTransition(from: StreamState, to: StreamState, opened: boolean): boolean {
  if (from === "closed" && opened) return false;
  return TRANSITIONS[from].includes(to);
}

/** Throws (a bug, not an expected failure) on a transition the state machine must never make. */
export function checkTransition(from: StreamState, to: StreamState, opened: boolean): void {
  if (!canTransition(from, to, opened)) throw new Error(`invalid connection state change ${from} → ${to}`);
}

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}
