/**
 * The sending direction of one connection (`spec/network.md` §5.7, §5.8, §5.10, §5.11): Nagle, the
 * effective window, window probes, cumulative and selective ACK processing, fast retransmit and the
 * retransmission timer. It decides what to transmit and when; the connection adds the ack number and
 * window to each packet and owns the state machine.
 *
 * Choices beyond the reference, none visible as a format change on the wire:
 * - Q2: a peer window of 0 keeps the previous limit (the reference lifts every limit); a peer window of
 *   one segment means "receiver full", so retransmissions then do not count toward the reset limit
 *   (a slow reader is not a dead peer; the idle timeout still catches a dead one).
 * - Q3: SACK-bearing duplicate ACKs count; duplicates only count while data is in flight.
 * - After a fast retransmit, a partial ACK resends the next hole at once (NewReno).
 * - The RTO fires exactly at its deadline rather than on the next 100 ms check (up to 100 ms earlier).
 * - Q19: ack number 0 is processed by serial arithmetic like any other value; with ISN 0 it equals the
 *   initial cumulative ACK (a harmless duplicate) and only means progress after a 4 GiB wrap.
 * - ACKs for bytes never sent are ignored; SACK edges use serial arithmetic (same below 4 GiB, §5.6).
 *
 * @module
 */

import { seqAdd, seqAfter, seqDiff } from "../protocol/mod.ts";
import type { SackBlock } from "../protocol/mod.ts";
import { CongestionControl } from "./congestion.ts";
import {
  INITIAL_SEQUENCE,
  MAX_TRANSMISSIONS_PER_SEGMENT,
  MSS,
  NAGLE_WAIT_MS,
  WINDOW_PROBE_INITIAL_MS,
  WINDOW_PROBE_MAX_MS,
  WINDOW_UNIT_BYTES,
} from "./constants.ts";
import { PathBudget } from "./path_budget.ts";
import { RttEstimator } from "./rtt.ts";
import { SendBuffer } from "./send_buffer.ts";
import type { SentSegment } from "./send_buffer.ts";

/** How a transmission relates to the stream. */
export type TransmitKind = "new" | "retransmit" | "probe";

/** Where a sender's decisions go. */
export interface SenderHooks {
  /** Send an ACK-flagged packet with this seq and payload (empty for a probe). */
  transmit(seq: number, payload: Uint8Array, kind: TransmitKind): void;
  /** The send buffer has room again after a short write. */
  writable(): void;
  /** The shared path budget has room again after this sender waited for it: pump now. */
  resume?(nowMs: number): void;
}

/** Read-only figures of the send half, for connection listings. */
export interface SenderMetrics {
  ssthreshBytes: number;
  srttMs: number | undefined;
  rttvarMs: number;
  duplicateAcks: number;
  inRecovery: boolean;
  unackedSegments: number;
  peerWindowBytes: number | undefined;
  fastRetransmits: number;
}

/** What the retransmission timer concluded. */
export type TimerOutcome = "ok" | "exhausted";

/** The send half of a connection. Not safe for shared use. */
export class StreamSender {
  #hooks: SenderHooks;
  #buffer: SendBuffer;
  #cc = new CongestionControl();
  #rtt = new RttEstimator();
  #sendNext = seqAdd(INITIAL_SEQUENCE, 1); // the SYN takes sequence number 0 (§5.6)
  #lastAck = INITIAL_SEQUENCE;
  #peerWindowBytes: number | undefined;
  #lastTimeoutRetransmitMs: number | undefined;
  #fastRecoveryPoint: number | undefined;
  #writeBlocked = false;
  #nagleDeadline: number | undefined;
  #nagleExpired = false;
  #probeDeadline: number | undefined;
  #probeIntervalMs = WINDOW_PROBE_INITIAL_MS;
  #fastRetransmits = 0;
  #path: PathBudget | undefined;
  #resume = (nowMs: number) => this.#hooks.resume?.(nowMs);

  /** `path`: the in-flight budget shared with every other connection to the same peer. */
  constructor(capacity: number | (() => number), hooks: SenderHooks, path?: PathBudget) {
    this.#buffer = new SendBuffer(capacity);
    this.#hooks = hooks;
    this.#path = path;
  }

  /** Sequence number of the next new byte (§5.6). */
  get sendNext(): number {
    return this.#sendNext;
  }

  /** Highest cumulative ACK received. */
  get lastAck(): number {
    return this.#lastAck;
  }

  /** Room left for `write`. */
  get freeBytes(): number {
    return this.#buffer.freeBytes;
  }

  /** Bytes sent and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.#buffer.inFlightBytes;
  }

  /** Bytes written and not yet sent. */
  get unsentBytes(): number {
    return this.#buffer.unsentBytes;
  }

  /** True when everything written has been sent and acknowledged. */
  get isDrained(): boolean {
    return this.#buffer.unsentBytes === 0 && this.#buffer.inFlightBytes === 0;
  }

  /** Congestion window in bytes. */
  get cwndBytes(): number {
    return this.#cc.cwndBytes;
  }

  /** Current retransmission timeout in ms. */
  get rtoMs(): number {
    return this.#rtt.rtoMs;
  }

  /** Read-only figures for `conn_list` (control.md §9.3). */
  get metrics(): SenderMetrics {
    return {
      ssthreshBytes: this.#cc.ssthreshBytes,
      srttMs: this.#rtt.srttMs,
      rttvarMs: this.#rtt.rttvarMs,
      duplicateAcks: this.#cc.duplicateAcks,
      inRecovery: this.#fastRecoveryPoint !== undefined || this.#cc.inTimeoutRecovery,
      unackedSegments: this.#buffer.inFlight.length,
      peerWindowBytes: this.#peerWindowBytes,
      fastRetransmits: this.#fastRetransmits,
    };
  }

  /** Dialler: the SYN|ACK acknowledges our SYN (its ack field itself is not validated, §5.4). */
  synAcknowledged(): void {
    this.#lastAck = this.#sendNext;
  }

  /** Peer window from any SYN, SYN|ACK or ACK-flagged packet (§5.8; 0 keeps the old limit, Q2). */
  updatePeerWindow(window: number): void {
    if (window > 0) this.#peerWindowBytes = window * WINDOW_UNIT_BYTES;
  }

  /** Queues bytes and sends what is allowed; returns the bytes taken. */
  write(bytes: Uint8Array, nowMs: number, flush: boolean): number {
    const taken = this.#buffer.append(bytes);
    if (taken < bytes.byteLength) this.#writeBlocked = true;
    this.pump(nowMs, flush);
    return taken;
  }

  /**
   * Sends every segment the windows allow. A partial segment waits for Nagle (§5.7 step 3) unless
   * nothing is in flight, the 40 ms passed, or `flush` (the application closed).
   */
  pump(nowMs: number, flush: boolean): void {
    // Each pass removes at least one byte from the finite unsent buffer, so the loop ends.
    while (this.#buffer.unsentBytes > 0) {
      const room = this.#room();
      if (room === "window") {
        this.#probeDeadline ??= nowMs + this.#probeIntervalMs;
        return;
      }
      if (room === "path") {
        this.#path?.wait(this, this.#resume); // our own ACKs or another connection's free room
        return;
      }
      this.#probeDeadline = undefined;
      const full = this.#buffer.unsentBytes >= MSS;
      if (!full && !flush && !this.#nagleExpired && this.#buffer.inFlightBytes > 0) {
        this.#nagleDeadline ??= nowMs + NAGLE_WAIT_MS;
        return;
      }
      const payload = this.#buffer.cut();
      if (payload === undefined) break;
      const seq = this.#sendNext;
      this.#sendNext = seqAdd(seq, payload.byteLength);
      this.#buffer.track(seq, payload, nowMs);
      this.#path?.add(this, payload.byteLength);
      this.#hooks.transmit(seq, payload, "new");
    }
    this.#nagleDeadline = undefined;
    this.#nagleExpired = false;
    this.#probeDeadline = undefined;
  }

  /**
   * Processes an ack number (§5.10). `duplicateCandidate`: the packet had no payload or only SACK, so
   * an unchanged ack counts as a duplicate (Q3). `sack`: blocks from the same packet.
   */
  onAck(ack: number, duplicateCandidate: boolean, sack: SackBlock[] | undefined, nowMs: number): void {
    if (seqAfter(ack, this.#sendNext)) return; // acknowledges bytes never sent: stale or hostile
    if (seqAfter(ack, this.#lastAck)) {
      this.#onAckAdvanced(ack, sack, nowMs);
      return;
    }
    if (ack !== this.#lastAck) return; // older than the last cumulative ACK
    if (sack !== undefined) this.#buffer.markSacked(sack);
    if (!duplicateCandidate || this.#buffer.inFlightBytes === 0) return;
    if (this.#cc.onDuplicateAck(nowMs) === "fast-retransmit") {
      const segment = this.#buffer.firstUnsacked();
      if (segment !== undefined) {
        this.#fastRecoveryPoint = this.#sendNext;
        this.#fastRetransmits++;
        this.#retransmit(segment, nowMs);
      }
    }
  }

  #onAckAdvanced(ack: number, sack: SackBlock[] | undefined, nowMs: number): void {
    const bytesAcked = seqDiff(ack, this.#lastAck);
    this.#lastAck = ack;
    const { removed } = this.#buffer.acknowledge(ack);
    if (this.#path !== undefined && removed.length > 0) {
      let bytes = 0;
      for (const segment of removed) bytes += segment.payload.byteLength;
      this.#path.release(this, bytes, nowMs);
    }
    // Karn: only segments sent once and never SACK-marked give a sample (§5.11). An ACK that also
    // covers a retransmitted segment filled a hole: the segments behind it waited for the repair, not
    // for the path, and sampling them would inflate the RTO until recovery stalls for seconds.
    if (removed.every((segment) => segment.transmissions === 1)) {
      for (const segment of removed) {
        if (segment.sacked) continue;
        this.#rtt.sample(nowMs - segment.lastSentMs);
        this.#cc.onRttSample(nowMs - segment.lastSentMs);
      }
    }
    this.#lastTimeoutRetransmitMs = undefined;
    this.#cc.onAckAdvanced(bytesAcked, ack, nowMs);
    this.#probeDeadline = undefined;
    this.#probeIntervalMs = WINDOW_PROBE_INITIAL_MS; // an ACK that opens the window resets it (§5.8)
    if (sack !== undefined) this.#buffer.markSacked(sack);
    if (this.#fastRecoveryPoint !== undefined) {
      if (seqAfter(this.#fastRecoveryPoint, ack)) {
        const next = this.#buffer.firstUnsacked();
        if (next !== undefined && next.transmissions < MAX_TRANSMISSIONS_PER_SEGMENT) {
          this.#retransmit(next, nowMs);
        }
      } else {
        this.#fastRecoveryPoint = undefined;
        this.#cc.endFastRecovery();
      }
    }
    if (this.#writeBlocked && removed.length > 0) {
      this.#writeBlocked = false;
      this.#hooks.writable();
    }
  }

  /** The earliest of the Nagle, retransmission and probe deadlines. */
  nextDeadline(): number | undefined {
    return earliest(earliest(this.#nagleDeadline, this.#rtoDeadline()), this.#probeDeadline);
  }

  /** Runs the sender's due timers. `exhausted`: a segment timed out after 8 transmissions (§5.11 step 4). */
  onTimer(nowMs: number, flush: boolean): TimerOutcome {
    if (this.#nagleDeadline !== undefined && nowMs >= this.#nagleDeadline) {
      this.#nagleDeadline = undefined;
      this.#nagleExpired = true;
      this.pump(nowMs, flush);
    }
    const rto = this.#rtoDeadline();
    if (rto !== undefined && nowMs >= rto) {
      const segment = this.#buffer.firstUnsacked();
      if (segment !== undefined) {
        if (segment.transmissions >= MAX_TRANSMISSIONS_PER_SEGMENT && !this.#peerFull()) return "exhausted";
        if (this.#cc.onTimeout(this.#sendNext, nowMs)) this.#rtt.backOff(); // once per recovery episode
        this.#retransmit(segment, nowMs);
        this.#lastTimeoutRetransmitMs = nowMs;
      }
    }
    if (this.#probeDeadline !== undefined && nowMs >= this.#probeDeadline) {
      // Window probe: seq = send sequence, not minus one (§5.8).
      this.#hooks.transmit(this.#sendNext, new Uint8Array(0), "probe");
      this.#probeIntervalMs = Math.min(this.#probeIntervalMs * 2, WINDOW_PROBE_MAX_MS);
      this.#probeDeadline = nowMs + this.#probeIntervalMs;
    }
    return "ok";
  }

  /** Forgets all data and timers (FIN sent or received, reset); gives back its share of the path. */
  clear(nowMs: number): void {
    this.#buffer.clear();
    this.#path?.leave(this, nowMs);
    this.#nagleDeadline = undefined;
    this.#probeDeadline = undefined;
    this.#fastRecoveryPoint = undefined;
    this.#lastTimeoutRetransmitMs = undefined;
  }

  /** What limits sending now: nothing, our own windows, or the path shared with other connections. */
  #room(): "open" | "window" | "path" {
    const peer = this.#peerWindowBytes;
    const window = peer === undefined ? this.#cc.cwndBytes : Math.min(this.#cc.cwndBytes, peer);
    if (this.#buffer.inFlightBytes >= window) return "window";
    const path = this.#path;
    if (path !== undefined && !path.hasRoom() && PathBudget.appliesTo(this.#rtt.minRttMs)) return "path";
    return "open";
  }

  /** The peer advertised a single segment: with our receivers that means "queue full" (Q2). */
  #peerFull(): boolean {
    return this.#peerWindowBytes !== undefined && this.#peerWindowBytes <= WINDOW_UNIT_BYTES;
  }

  #rtoDeadline(): number | undefined {
    const segment = this.#buffer.firstUnsacked();
    if (segment === undefined) return undefined;
    const rto = this.#rtt.rtoMs;
    const due = segment.lastSentMs + rto;
    const guard = this.#lastTimeoutRetransmitMs; // at most one timeout retransmission per RTO (§5.11)
    return guard === undefined ? due : Math.max(due, guard + rto);
  }

  #retransmit(segment: SentSegment, nowMs: number): void {
    segment.transmissions++;
    segment.lastSentMs = nowMs;
    this.#hooks.transmit(segment.seq, segment.payload, "retransmit");
  }
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
