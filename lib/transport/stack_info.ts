/**
 * Per-connection counters the stack keeps from the packets it sends and receives, and the `conn_list`
 * rows of Info (control.md §9.3) built from them and the connection's own figures. The counters live
 * in the driver because they describe traffic, which the pure connection never sees as bytes on a wire.
 *
 * @module
 */

import { decodeSack, FLAGS, formatAddress, seqAdd, seqAfter, WINDOW_UNIT_BYTES } from "../protocol/mod.ts";
import type { Packet } from "../protocol/mod.ts";
import type { Connection } from "./connection.ts";

/** Traffic counters of one connection. */
export interface ConnCounters {
  bytesSent: number;
  bytesRecv: number;
  segsSent: number;
  segsRecv: number;
  retransmits: number;
  sackSent: number;
  sackRecv: number;
  /** Sequence number after the highest data byte sent: data starting before it is a retransmission. */
  sendHigh: number | undefined;
}

/** One `conn_list` row, with the reference's field names. */
export interface ConnectionInfo {
  id: number;
  local_port: number;
  remote_addr: string;
  remote_port: number;
  state: string;
  cong_win: number;
  ssthresh: number;
  in_flight: number;
  srtt_ms: number;
  rttvar_ms: number;
  unacked: number;
  ooo_buf: number;
  peer_recv_win: number;
  recv_win: number;
  in_recovery: boolean;
  bytes_sent: number;
  bytes_recv: number;
  segs_sent: number;
  segs_recv: number;
  retransmits: number;
  fast_retx: number;
  sack_recv: number;
  sack_sent: number;
  dup_acks: number;
}

/** Fresh zero counters. */
export function newCounters(): ConnCounters {
  return {
    bytesSent: 0,
    bytesRecv: 0,
    segsSent: 0,
    segsRecv: 0,
    retransmits: 0,
    sackSent: 0,
    sackRecv: 0,
    sendHigh: undefined,
  };
}

/** Counts one stream packet we send. Our data segments never parse as SACK (Q4), so the test is exact. */
export function countSent(counters: ConnCounters, packet: Packet): void {
  counters.segsSent++;
  const length = packet.payload.byteLength;
  if (length === 0) return;
  if ((packet.flags & FLAGS.ACK) !== 0 && decodeSack(packet.payload) !== undefined) {
    counters.sackSent++;
    return;
  }
  counters.bytesSent += length;
  const end = seqAdd(packet.seq, length);
  if (counters.sendHigh !== undefined && seqAfter(counters.sendHigh, packet.seq)) counters.retransmits++;
  if (counters.sendHigh === undefined || seqAfter(end, counters.sendHigh)) counters.sendHigh = end;
}

/** Counts one stream packet received for a known connection. */
export function countReceived(counters: ConnCounters, packet: Packet): void {
  counters.segsRecv++;
  const length = packet.payload.byteLength;
  if (length === 0) return;
  if ((packet.flags & FLAGS.ACK) !== 0 && decodeSack(packet.payload) !== undefined) counters.sackRecv++;
  else counters.bytesRecv += length;
}

/** The Info row of `conn`; times are whole ms, windows in bytes (as in the reference's output). */
export function connectionInfo(conn: Connection, counters: ConnCounters): ConnectionInfo {
  const m = conn.metrics;
  return {
    id: conn.id,
    local_port: conn.localPort,
    remote_addr: formatAddress(conn.remote.address),
    remote_port: conn.remote.port,
    state: conn.stateName,
    cong_win: conn.cwndBytes,
    ssthresh: m.ssthreshBytes,
    in_flight: conn.inFlightBytes,
    srtt_ms: Math.round(m.srttMs ?? 0),
    rttvar_ms: Math.round(m.rttvarMs),
    unacked: m.unackedSegments,
    ooo_buf: m.outOfOrderSegments,
    peer_recv_win: m.peerWindowBytes ?? 0,
    recv_win: conn.receiveWindow * WINDOW_UNIT_BYTES,
    in_recovery: m.inRecovery,
    bytes_sent: counters.bytesSent,
    bytes_recv: counters.bytesRecv,
    segs_sent: counters.segsSent,
    segs_recv: counters.segsRecv,
    retransmits: counters.retransmits,
    fast_retx: m.fastRetransmits,
    sack_recv: counters.sackRecv,
    sack_sent: counters.sackSent,
    dup_acks: m.duplicateAcks,
  };
}
