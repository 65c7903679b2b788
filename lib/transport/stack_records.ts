/**
 * The stack's bookkeeping per connection: the dial promise still waiting on it, the event hooks of the
 * {@linkcode OverlayConn} handed out for it, and the counters Info reports. The connection table owns
 * the connections themselves; a record lives from dial or accept until the table's `removed` action.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { FLAGS } from "../protocol/mod.ts";
import type { Packet } from "../protocol/mod.ts";
import { OverlayConn } from "./conn.ts";
import type { ConnDriver, ConnEvents } from "./conn.ts";
import type { Connection } from "./connection.ts";
import type { EndReason } from "./state.ts";
import { type ConnCounters, countReceived, countSent, newCounters } from "./stack_info.ts";

/** Options of {@linkcode Stack.dial}. */
export interface StackDialOptions {
  signal?: AbortSignal;
  /** Fail with `dial timeout` after this long instead of the full §5.4 schedule (29–39 s). */
  timeoutMs?: number;
}

interface PendingDial {
  resolve(conn: OverlayConn): void;
  reject(error: unknown): void;
}

interface ConnRecord {
  events: ConnEvents | undefined;
  dial: PendingDial | undefined;
  counters: ConnCounters;
}

/** Records by connection; every method tolerates a connection it has no record of. */
export class ConnRecords {
  #records = new Map<Connection, ConnRecord>();
  #driver: ConnDriver;

  /** `driver` is the stack's: its clock, its flush, and what each {@linkcode OverlayConn} is given. */
  constructor(driver: ConnDriver) {
    this.#driver = driver;
  }

  /** The counters of `conn`, or fresh zeros when it has no record. */
  counters(conn: Connection): ConnCounters {
    return this.#records.get(conn)?.counters ?? newCounters();
  }

  /** Counts a stream packet received for `conn` (found by the table, maybe not at all). */
  countReceived(conn: Connection | undefined, packet: Packet): void {
    const record = conn === undefined ? undefined : this.#records.get(conn);
    if (record !== undefined) countReceived(record.counters, packet);
  }

  /**
   * Counts a stream packet sent for `conn`. For a dial's first SYN it returns the send's completion
   * callback: a failed first SYN (unknown node, no address) fails the dial at once (§5.4 step 3), and
   * `refind` looks the connection up again then, since the table may have dropped it meanwhile.
   */
  onSend(
    conn: Connection | undefined,
    packet: Packet,
    refind: () => Connection | undefined,
  ): ((error: unknown) => void) | undefined {
    const record = conn === undefined ? undefined : this.#records.get(conn);
    if (record === undefined) return undefined;
    countSent(record.counters, packet);
    const dial = record.dial;
    if (dial === undefined || packet.flags !== FLAGS.SYN || record.counters.segsSent !== 1) return undefined;
    return (error) => {
      if (error === undefined || record.dial !== dial) return;
      record.dial = undefined;
      dial.reject(synError(error));
      const again = refind();
      again?.close(this.#driver.now());
      this.#driver.flush(again);
    };
  }

  /**
   * Opens a dial's connection with `open` and resolves once the table reports it established; rejects
   * on failure, abort or `timeoutMs`, closing the connection in the last two cases.
   */
  dial(open: () => Connection, options: StackDialOptions): Promise<OverlayConn> {
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(
        new PilotError("transport_dial_aborted", "dial aborted", { cause: signal.reason }),
      );
    }
    return new Promise<OverlayConn>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const dial: PendingDial = {
        resolve: (conn) => {
          done();
          resolve(conn);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const conn = open();
      this.#records.set(conn, { events: undefined, dial, counters: newCounters() });
      const abandon = (error: PilotError) => {
        const record = this.#records.get(conn);
        if (record?.dial === undefined) return;
        record.dial = undefined;
        dial.reject(error);
        conn.close(this.#driver.now());
        this.#driver.flush(conn);
      };
      const onAbort = () =>
        abandon(new PilotError("transport_dial_aborted", "dial aborted", { cause: signal?.reason }));
      signal?.addEventListener("abort", onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(
          () => abandon(new PilotError("transport_dial_timeout", "dial timeout")),
          options.timeoutMs,
        );
      }
      this.#driver.flush(conn);
    });
  }

  /** Wraps a connection the table accepted in an {@linkcode OverlayConn} and keeps its events. */
  accepted(connection: Connection): OverlayConn {
    const { conn, events } = OverlayConn.open(connection, this.#driver);
    const record = this.#records.get(connection);
    if (record === undefined) {
      this.#records.set(connection, { events, dial: undefined, counters: newCounters() });
    } else record.events = events;
    return conn;
  }

  /** The table's `established`: a waiting dial gets its {@linkcode OverlayConn}. */
  established(connection: Connection): void {
    const record = this.#records.get(connection);
    const dial = record?.dial;
    if (record === undefined || dial === undefined) return;
    record.dial = undefined;
    const { conn, events } = OverlayConn.open(connection, this.#driver);
    record.events = events;
    dial.resolve(conn);
  }

  /** The table's `dial-failed`: a waiting dial rejects with `error`. */
  dialFailed(connection: Connection, error: unknown): void {
    const record = this.#records.get(connection);
    const dial = record?.dial;
    if (record === undefined || dial === undefined) return;
    record.dial = undefined;
    dial.reject(error);
  }

  /** The event hooks of the {@linkcode OverlayConn} of `connection`, once one was handed out. */
  events(connection: Connection): ConnEvents | undefined {
    return this.#records.get(connection)?.events;
  }

  /** The table's `removed`: the record goes, its conn learns why, a dial still waiting fails. */
  removed(connection: Connection, reason: EndReason): void {
    const record = this.#records.get(connection);
    this.#records.delete(connection);
    record?.events?.removed(reason);
    record?.dial?.reject(new PilotError("transport_closed", "connection closed while dialling"));
  }
}

/** The dial error for a first SYN that could not be sent: resolution errors keep their text (§5.4). */
function synError(error: unknown): PilotError {
  if (
    error instanceof PilotError &&
    (error.code === "tunnel_resolve_failed" || error.code === "tunnel_no_address")
  ) {
    return error;
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new PilotError("transport_send_failed", `send SYN: ${detail}`, { cause: error });
}
