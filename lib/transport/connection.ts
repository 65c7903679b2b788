/**
 * One stream connection as a pure state machine (`spec/network.md` §5): it consumes parsed packets and
 * application calls, each with the caller's `now` in ms, and hands packets and signals to injected
 * hooks. It never reads a clock or arms a timer: the driver arms one timer at `nextDeadline()` and calls
 * `onTimer(now)`. The two directions live in sender.ts and receiver.ts; this file owns the lifecycle.
 *
 * Lifecycle choices, all wire-compatible (§10 interop notes):
 * - Q1: a FIN or FIN|ACK arriving in TIME_WAIT is never answered; the first FIN still gets FIN|ACK.
 * - Q16: a duplicate SYN is answered with the original SYN|ACK (seq = ISN 0), not `send sequence − 1`,
 *   which would make a dialler skip data we already sent.
 * - Q17: `close()` sends FIN only once queued data is acknowledged (state `fin-wait`, bounded by the
 *   linger time, which starts again whenever the peer acknowledges more), so close after write loses
 *   nothing. While no answer comes, our FIN is resent a few
 *   times from TIME_WAIT. A received FIN is still not checked against the expected sequence: a peer
 *   that sends FIN has stopped retransmitting, so waiting for missing data would gain nothing.
 * - A FIN received while dialling answers FIN|ACK as the spec says and fails the dial as refused.
 * - Timers are deadlines: keepalive 30 s and idle close 120 s after the last activity, TIME_WAIT reaped
 *   exactly 10 s after entering it (no 15 s sweep), so TIME_WAIT lasts 10 s instead of 10–25 s.
 * - Keepalives carry our real window rather than 0, so a reference peer keeps a correct limit.
 * - Q4 on receipt: a payload that parses as a SACK option is SACK, as in the reference; our own sender
 *   never produces such data segments (send_buffer.ts), so only a reference sender can trip it.
 *
 * The file is past 300 lines because the state machine's entry points, dispatch and lifecycle belong
 * together; everything that could stand alone (both directions, RTO, congestion, keepalive, TIME_WAIT,
 * the SYN schedule) already lives in its own module.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { NULL_LOGGER } from "../log.ts";
import { decodeSack, FLAGS, PROTOCOL_VERSION, PROTOCOLS, seqAdd } from "../protocol/mod.ts";
import type { Address, Packet, SocketAddress } from "../protocol/mod.ts";
export type {
  CloseOptions,
  ConnectionHooks,
  ConnectionOptions,
  ConnectionSignal,
} from "./connection_types.ts";
import type { TransportConfig } from "./config.ts";
import { resolveTransportConfig } from "./config.ts";
import type { CloseOptions, ConnectionHooks, ConnectionOptions } from "./connection_types.ts";
import { INITIAL_SEQUENCE } from "./constants.ts";
import { SynSchedule } from "./dial_schedule.ts";
import type { SynScheduleOptions } from "./dial_schedule.ts";
import { Liveness } from "./liveness.ts";
import { StreamReceiver } from "./receiver.ts";
import { StreamSender } from "./sender.ts";
import type { SenderMetrics, TransmitKind } from "./sender.ts";
import { TimeWait } from "./time_wait.ts";
import { assertNever, checkTransition, STATE_NAMES } from "./state.ts";
import type { EndReason, StreamState } from "./state.ts";

const EMPTY = new Uint8Array(0);

/**
 * A stream connection. Not safe for shared use; every method takes the caller's clock in ms.
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * import type { Packet } from "../protocol/mod.ts";
 * const sent: Packet[] = [];
 * const conn = Connection.dial({
 *   id: 1, localAddress: { network: 0, node: 1 }, localPort: 49152,
 *   remote: { address: { network: 0, node: 2 }, port: 1000 },
 *   hooks: { send: (p) => sent.push(p), signal: () => {} },
 * }, 0);
 * if (sent[0].flags !== 0x1 || conn.nextDeadline() !== 1000) throw new Error("SYN sent, retry at 1 s");
 * ```
 */
export class Connection {
  readonly id: number;
  readonly localAddress: Address;
  readonly localPort: number;
  readonly remote: SocketAddress;
  /** True when we accepted it (listener side), false when we dialled it. */
  readonly isIncoming: boolean;

  #state: StreamState = "closed";
  #opened = false;
  #hooks: ConnectionHooks;
  #log: Logger;
  #config: TransportConfig;
  #sender: StreamSender;
  #receiver: StreamReceiver;
  #receiveEnded = false;
  #endReason: EndReason | undefined;
  #syn: SynSchedule | undefined;
  #liveness: Liveness;
  #lingerDeadline: number | undefined;
  #timeWait: TimeWait | undefined;
  /** The time of the call being processed: hooks fired from inside the two halves need it. */
  #now: number;

  private constructor(options: ConnectionOptions, incoming: boolean, nowMs: number) {
    this.id = options.id;
    this.localAddress = options.localAddress;
    this.localPort = options.localPort;
    this.remote = options.remote;
    this.isIncoming = incoming;
    this.#hooks = options.hooks;
    this.#log = (options.logger ?? NULL_LOGGER).child({ conn_id: options.id });
    this.#config = resolveTransportConfig(options.config);
    this.#sender = new StreamSender(options.sendCapacity ?? this.#config.sendBufferBytes, {
      transmit: (seq, payload, kind) => this.#transmit(seq, payload, kind, this.#now),
      writable: () => this.#hooks.signal({ type: "writable" }),
      resume: (nowMs) => {
        // Called from another connection's processing: our deadlines move, so the driver must know.
        this.#now = nowMs;
        this.#hooks.touched?.();
        this.#flush(nowMs);
      },
    }, options.path);
    this.#receiver = new StreamReceiver(this.#config.receiveQueueSegments, {
      ack: (payload) => this.#emitWithAck(this.#sender.sendNext, payload),
      readable: () => this.#hooks.signal({ type: "readable" }),
    });
    this.#liveness = new Liveness(nowMs, this.#config.keepaliveMs, this.#config.idleTimeoutMs);
    this.#now = nowMs;
  }

  /** Opens a connection as dialler: sends the SYN (§5.4 steps 2–4) and starts its retransmission. */
  static dial(options: ConnectionOptions & SynScheduleOptions, nowMs: number): Connection {
    const conn = new Connection(options, false, nowMs);
    conn.#setState("syn-sent");
    conn.#emit(FLAGS.SYN, INITIAL_SEQUENCE, 0, conn.#receiver.window);
    conn.#syn = new SynSchedule(nowMs, options);
    return conn;
  }

  /**
   * Opens a connection for an admitted SYN (§5.5 steps 7–8): sends SYN|ACK and is ESTABLISHED at once,
   * without waiting for the final ACK. Admission itself is the connection table's job.
   */
  static accept(syn: Packet, options: ConnectionOptions, nowMs: number): Connection {
    const conn = new Connection(options, true, nowMs);
    conn.#setState("syn-received");
    conn.#receiver.start(seqAdd(syn.seq, 1));
    conn.#sender.updatePeerWindow(syn.window);
    conn.#emit(FLAGS.SYN | FLAGS.ACK, INITIAL_SEQUENCE, conn.#receiver.expected, conn.#receiver.window);
    conn.#setState("established");
    return conn;
  }

  /** Current state. */
  get state(): StreamState {
    return this.#state;
  }

  /** The state as the reference shows it (`ESTABLISHED`, `TIME_WAIT`, …). */
  get stateName(): string {
    return STATE_NAMES[this.#state];
  }

  /** True in the states that count toward connection limits (§5.5: all but CLOSED and TIME_WAIT). */
  get isActive(): boolean {
    return this.#state !== "closed" && this.#state !== "time-wait";
  }

  /** Room left for `write`, in bytes (backpressure; 0 unless ESTABLISHED). */
  get sendBufferFree(): number {
    return this.#state === "established" ? this.#sender.freeBytes : 0;
  }

  /** Bytes written and not yet acknowledged by the peer. */
  get sendBufferedBytes(): number {
    return this.#sender.unsentBytes + this.#sender.inFlightBytes;
  }

  /** True once no more data will arrive and every delivered chunk has been taken. */
  get isReceiveEnded(): boolean {
    return this.#receiveEnded && !this.#receiver.hasReady;
  }

  /** Why the receive side ended, once it has. */
  get endReason(): EndReason | undefined {
    return this.#endReason;
  }

  /** Free receive-queue slots. */
  get receiveWindow(): number {
    return this.#receiver.freeSlots;
  }

  /** Congestion window in bytes (stats, tests). */
  get cwndBytes(): number {
    return this.#sender.cwndBytes;
  }

  /** Current retransmission timeout in ms. */
  get rtoMs(): number {
    return this.#sender.rtoMs;
  }

  /** Bytes sent and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.#sender.inFlightBytes;
  }

  /** Read-only figures for `conn_list` (control.md §9.3); the driver counts bytes and segments. */
  get metrics(): SenderMetrics & { outOfOrderSegments: number } {
    return { ...this.#sender.metrics, outOfOrderSegments: this.#receiver.outOfOrderCount };
  }

  /** Handles one stream packet addressed to this connection, in the §5.3 dispatch order. */
  receive(packet: Packet, nowMs: number): void {
    this.#now = nowMs;
    const flags = packet.flags;
    if ((flags & FLAGS.SYN) !== 0 && (flags & FLAGS.ACK) === 0) this.#onSyn();
    else if ((flags & FLAGS.SYN) !== 0) this.#onSynAck(packet, nowMs);
    else if ((flags & FLAGS.FIN) !== 0) this.#onFin(packet, nowMs);
    else if ((flags & FLAGS.RST) !== 0) this.#onRst();
    else if ((flags & FLAGS.ACK) !== 0) this.#onAck(packet, nowMs);
    // No flags: ignored (§5.3 rule 6).
  }

  /**
   * Queues application bytes and sends what the windows and Nagle allow. Returns how many bytes were
   * taken: fewer than offered when the send buffer is full (then wait for a `writable` signal).
   *
   * @throws {PilotError} `transport_not_established` unless ESTABLISHED (§5.7).
   */
  write(bytes: Uint8Array, nowMs: number): number {
    this.#now = nowMs;
    if (this.#state !== "established") {
      throw new PilotError("transport_not_established", "connection not established");
    }
    return this.#sender.write(bytes, nowMs, false);
  }

  /** Hands over the received in-order chunks. Their slots stay held until `consumed()` covers them. */
  takeReceived(): Uint8Array[] {
    return this.#receiver.take();
  }

  /** Reports `bytes` of taken chunks consumed by the application: frees slots, may send a window update. */
  consumed(bytes: number, nowMs: number): void {
    this.#now = nowMs;
    if (this.#state === "established" || this.#state === "fin-wait") this.#receiver.consumed(bytes);
  }

  /**
   * Local close (§5.12): FIN once queued data is acknowledged (Q17), at the latest after the linger
   * time, then TIME_WAIT. The application reads no more. A dial in progress is abandoned.
   */
  close(nowMs: number, options: CloseOptions = {}): void {
    this.#now = nowMs;
    switch (this.#state) {
      case "syn-sent":
        this.#dialFailed(
          new PilotError("transport_closed", "connection closed while dialling"),
          "local-close",
        );
        return;
      case "established":
        this.#endReceive("local-close");
        this.#receiver.discardFromNowOn();
        if (this.#receiver.delayedAckDeadline !== undefined) this.#receiver.ackNow();
        this.#setState("fin-wait");
        this.#lingerDeadline = nowMs + this.#config.closeLingerMs;
        if (options.force === true) this.#sendFinAndWait(nowMs);
        else this.#flush(nowMs);
        return;
      case "fin-wait":
        if (options.force === true) this.#sendFinAndWait(nowMs);
        return;
      case "syn-received":
      case "time-wait":
      case "closed":
        return;
      default:
        assertNever(this.#state);
    }
  }

  /** Daemon shutdown (§5.14): FIN if the peer still thinks we are open, then gone at once. */
  shutdown(nowMs: number): void {
    this.#now = nowMs;
    switch (this.#state) {
      case "syn-sent":
        this.#dialFailed(new PilotError("transport_closed", "daemon shutting down"), "shutdown");
        return;
      case "established":
      case "fin-wait":
        this.#emitFin();
        break;
      case "syn-received":
      case "time-wait":
      case "closed":
        break;
      default:
        assertNever(this.#state);
    }
    this.#endReceive("shutdown");
    this.#finish("shutdown");
  }

  /** Resets the connection: RST (seq 0, ack 0, window 0) and gone (e.g. accept queue full, §5.5 step 9). */
  abort(reason: EndReason): void {
    if (this.#state === "closed") return;
    if (this.#state !== "syn-sent" && this.#state !== "time-wait") this.#emit(FLAGS.RST, 0, 0, 0);
    this.#endReceive(reason);
    this.#finish(reason);
  }

  /** Forgets the connection without sending anything (a new SYN reused its TIME_WAIT tuple, Q20). */
  discard(reason: EndReason): void {
    this.#endReceive(reason);
    this.#finish(reason);
  }

  /**
   * The earliest time `onTimer` has work, or `undefined` when nothing is pending. After `onTimer(now)`
   * it is always later than `now`, so a driver never spins.
   */
  nextDeadline(): number | undefined {
    switch (this.#state) {
      case "syn-sent":
        return this.#syn?.deadline;
      case "established":
      case "fin-wait":
        return minOf([
          this.#receiver.delayedAckDeadline,
          this.#sender.nextDeadline(),
          this.#lingerDeadline,
          this.#liveness.deadline,
        ]);
      case "time-wait":
        return this.#timeWait?.deadline(this.#sender.rtoMs);
      case "syn-received":
      case "closed":
        return undefined;
      default:
        return assertNever(this.#state);
    }
  }

  /** Runs every timer due at `nowMs`. Calling it early or twice is harmless. */
  onTimer(nowMs: number): void {
    this.#now = nowMs;
    switch (this.#state) {
      case "syn-sent":
        this.#onSynTimer(nowMs);
        return;
      case "established":
      case "fin-wait":
        this.#onOpenTimers(nowMs);
        return;
      case "time-wait":
        this.#onTimeWaitTimers(nowMs);
        return;
      case "syn-received":
      case "closed":
        return;
      default:
        assertNever(this.#state);
    }
  }

  // --- Packet handlers (§5.3–§5.12) ---

  #onSyn(): void {
    // A retransmitted SYN whose SYN|ACK was lost (§5.5 step 2): resend the original SYN|ACK (Q16).
    if (!this.isIncoming || (this.#state !== "established" && this.#state !== "fin-wait")) return;
    this.#emit(FLAGS.SYN | FLAGS.ACK, INITIAL_SEQUENCE, this.#receiver.expected, this.#receiver.window);
  }

  #onSynAck(packet: Packet, nowMs: number): void {
    if (this.#state !== "syn-sent") return; // ignored, and no ACK is re-sent (§5.4)
    this.#syn = undefined;
    this.#receiver.start(seqAdd(packet.seq, 1));
    this.#sender.updatePeerWindow(packet.window);
    this.#sender.synAcknowledged();
    this.#liveness.onActivity(nowMs);
    this.#setState("established");
    this.#receiver.ackNow();
    this.#hooks.signal({ type: "established" });
  }

  #onFin(packet: Packet, nowMs: number): void {
    switch (this.#state) {
      case "time-wait":
        this.#timeWait?.onFin(); // Q1: never answered; this ends the reference's FIN|ACK storm
        return;
      case "closed":
        return;
      case "syn-sent":
      case "syn-received":
      case "established":
      case "fin-wait": {
        const dialling = this.#state === "syn-sent";
        this.#endReceive("fin");
        this.#emit(FLAGS.FIN | FLAGS.ACK, this.#sender.sendNext, seqAdd(packet.seq, 1), 0);
        this.#hooks.signal({ type: "fin-received" });
        this.#enterTimeWait(nowMs, false);
        if (dialling) this.#hooks.signal({ type: "dial-failed", error: refusedError() });
        return;
      }
      default:
        assertNever(this.#state);
    }
  }

  #onRst(): void {
    if (this.#state === "closed") return;
    this.#hooks.signal({ type: "rst-received" });
    if (this.#state === "syn-sent") {
      this.#dialFailed(refusedError(), "refused");
      return;
    }
    this.#endReceive("rst");
    this.#finish("rst");
  }

  #onAck(packet: Packet, nowMs: number): void {
    if (this.#state !== "established" && this.#state !== "fin-wait") return;
    this.#liveness.onActivity(nowMs);
    this.#sender.updatePeerWindow(packet.window);
    const payload = packet.payload;
    const sack = payload.byteLength > 0 ? decodeSack(payload) : undefined;
    const ackBefore = this.#sender.lastAck;
    this.#sender.onAck(packet.ack, payload.byteLength === 0 || sack !== undefined, sack, nowMs);
    // The linger bounds a close that makes no progress: while the peer keeps acknowledging our queued
    // data it is still taking it, so the wait starts again (a busy path is not a dead one).
    if (this.#lingerDeadline !== undefined && this.#sender.lastAck !== ackBefore) {
      this.#lingerDeadline = nowMs + this.#config.closeLingerMs;
    }
    // A valid SACK option is never data (§5.3 rule 5); Q4 is avoided on our sending side.
    if (sack === undefined && payload.byteLength > 0) this.#receiver.onData(packet.seq, payload, nowMs);
    this.#flush(nowMs);
  }

  // --- Timers ---

  #onSynTimer(nowMs: number): void {
    const syn = this.#syn;
    if (syn === undefined || nowMs < syn.deadline) return;
    const outcome = syn.expire(nowMs);
    if (outcome === "timeout") {
      this.#dialFailed(new PilotError("transport_dial_timeout", "dial timeout"), "dial-timeout");
      return;
    }
    if (outcome === "relay-and-resend") this.#hooks.signal({ type: "relay-requested" });
    this.#emit(FLAGS.SYN, INITIAL_SEQUENCE, 0, this.#receiver.window);
  }

  #onOpenTimers(nowMs: number): void {
    this.#receiver.onTimer(nowMs);
    if (this.#sender.onTimer(nowMs, this.#state === "fin-wait") === "exhausted") {
      this.#log.debug("retransmission limit reached, resetting");
      this.abort("retransmit-limit");
      return;
    }
    this.#flush(nowMs);
    if (!this.#isOpen()) return;
    if (this.#lingerDeadline !== undefined && nowMs >= this.#lingerDeadline) {
      this.#log.debug("close linger expired, queued data abandoned", { bytes: this.sendBufferedBytes });
      this.#sendFinAndWait(nowMs);
      return;
    }
    const due = this.#liveness.due(nowMs);
    if (due === "idle") {
      this.#hooks.signal({ type: "idle-timeout" });
      this.#endReceive("idle-timeout");
      if (this.#state === "established") this.close(nowMs, { force: true });
      else this.#sendFinAndWait(nowMs);
      return;
    }
    if (due === "keepalive") {
      // §5.13 keepalive: seq = send sequence; it does not refresh the activity time.
      this.#emitWithAck(this.#sender.sendNext, EMPTY);
      this.#liveness.onKeepaliveSent(nowMs);
    }
  }

  #onTimeWaitTimers(nowMs: number): void {
    const due = this.#timeWait?.due(nowMs, this.#sender.rtoMs);
    if (due === "resend-fin") this.#emitFin();
    else if (due === "expired") this.#finish("time-wait-expired");
  }

  // --- Helpers ---

  /** Sends what may be sent; in fin-wait, sends the FIN once everything is acknowledged. */
  #flush(nowMs: number): void {
    if (!this.#isOpen()) return;
    const closing = this.#state === "fin-wait";
    this.#sender.pump(nowMs, closing);
    if (closing && this.#sender.isDrained) this.#sendFinAndWait(nowMs);
  }

  #isOpen(): boolean {
    return this.#state === "established" || this.#state === "fin-wait";
  }

  #transmit(seq: number, payload: Uint8Array, kind: TransmitKind, nowMs: number): void {
    if (kind === "new") this.#liveness.onActivity(nowMs); // sending data counts as activity (§5.13)
    this.#emitWithAck(seq, payload);
  }

  /** An ACK-flagged packet with our current ack number and window; it settles any delayed ACK. */
  #emitWithAck(seq: number, payload: Uint8Array): void {
    this.#emit(FLAGS.ACK, seq, this.#receiver.expected, this.#receiver.window, payload);
    this.#receiver.ackSent();
  }

  #emitFin(): void {
    this.#emit(FLAGS.FIN, this.#sender.sendNext, 0, 0); // FIN: ack 0, window 0 (§5.12)
  }

  #sendFinAndWait(nowMs: number): void {
    this.#emitFin();
    this.#enterTimeWait(nowMs, true);
  }

  #setState(next: StreamState): void {
    const previous = this.#state;
    checkTransition(previous, next, this.#opened);
    this.#opened = true;
    this.#state = next;
    this.#log.debug(`${STATE_NAMES[previous]} → ${STATE_NAMES[next]}`);
  }

  #endReceive(reason: EndReason): void {
    if (this.#receiveEnded) return;
    this.#receiveEnded = true;
    this.#endReason = reason;
    this.#receiver.stop();
    this.#hooks.signal({ type: "readable" });
  }

  #enterTimeWait(nowMs: number, sentFin: boolean): void {
    this.#sender.clear(this.#now); // Q17: after a FIN nothing more is sent or retransmitted
    this.#receiver.stop();
    this.#lingerDeadline = undefined;
    this.#syn = undefined;
    this.#setState("time-wait");
    this.#timeWait = new TimeWait(nowMs, this.#config.timeWaitMs, sentFin);
  }

  #dialFailed(error: PilotError, reason: EndReason): void {
    this.#endReceive(reason);
    this.#hooks.signal({ type: "dial-failed", error });
    this.#finish(reason);
  }

  #finish(reason: EndReason): void {
    if (this.#state === "closed") return;
    this.#sender.clear(this.#now);
    this.#receiver.stop();
    this.#syn = undefined;
    this.#lingerDeadline = undefined;
    this.#timeWait = undefined;
    this.#setState("closed");
    this.#hooks.signal({ type: "closed", reason });
  }

  #emit(flags: number, seq: number, ack: number, window: number, payload: Uint8Array = EMPTY): void {
    this.#hooks.send({
      version: PROTOCOL_VERSION,
      flags,
      protocol: PROTOCOLS.STREAM,
      src: this.localAddress,
      dst: this.remote.address,
      srcPort: this.localPort,
      dstPort: this.remote.port,
      seq,
      ack,
      window,
      payload,
    });
  }
}

function refusedError(): PilotError {
  return new PilotError("transport_refused", "connection refused");
}

function minOf(values: readonly (number | undefined)[]): number | undefined {
  let out: number | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v < out)) out = v;
  return out;
}
