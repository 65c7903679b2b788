/**
 * Our outstanding control pings (`spec/network.md` §6.2): each waits on its own ephemeral source port
 * for the pong (flags ACK, src port 0, ack = seq + 1, payload echoed) and settles with the round-trip
 * time, or fails at its timeout. A ping's timer exists only while that ping is outstanding, so an idle
 * stack holds none.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { FLAGS, PROTOCOLS, sameAddress } from "../protocol/mod.ts";
import type { Address, Packet } from "../protocol/mod.ts";
import { PING_PORT } from "./datagram.ts";

interface PendingPing {
  readonly dst: Address;
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly sentAt: number;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly resolve: (rttMs: number) => void;
  readonly reject: (error: unknown) => void;
}

/** Outstanding pings by source port. Not safe for shared use. */
export class PingTracker {
  #pending = new Map<number, PendingPing>();
  #nextSeq = 1;

  /** Pings waiting for their pong. */
  get size(): number {
    return this.#pending.size;
  }

  /** A fresh sequence number for the next ping. */
  nextSeq(): number {
    const seq = this.#nextSeq;
    this.#nextSeq = (seq + 1) >>> 0 || 1;
    return seq;
  }

  /** Waits for the pong to a ping sent from `port`; rejects with `dial timeout`-style `ping timeout`. */
  wait(
    port: number,
    dst: Address,
    seq: number,
    payload: Uint8Array,
    sentAt: number,
    timeoutMs: number,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending.get(port)?.timer !== timer) return;
        this.#pending.delete(port);
        reject(new PilotError("transport_ping_timeout", "ping timeout", { hint: "is the peer online?" }));
      }, timeoutMs);
      this.#pending.get(port)?.reject(new PilotError("transport_ping_replaced", "ping replaced"));
      this.#pending.set(port, { dst, seq, payload, sentAt, timer, resolve, reject });
    });
  }

  /** Fails the ping on `port` (its packet could not be sent). */
  fail(port: number, error: unknown): void {
    const ping = this.#pending.get(port);
    if (ping === undefined) return;
    this.#pending.delete(port);
    clearTimeout(ping.timer);
    ping.reject(error);
  }

  /** Settles the ping this control packet answers; returns false when it answers none of ours. */
  onPong(packet: Packet, nowMs: number): boolean {
    if (packet.protocol !== PROTOCOLS.CONTROL || packet.srcPort !== PING_PORT) return false;
    if ((packet.flags & FLAGS.ACK) === 0) return false;
    const ping = this.#pending.get(packet.dstPort);
    if (ping === undefined || !sameAddress(ping.dst, packet.src)) return false;
    if (packet.seq !== ping.seq || packet.ack !== ((ping.seq + 1) >>> 0)) return false;
    if (!equalBytes(packet.payload, ping.payload)) return false;
    this.#pending.delete(packet.dstPort);
    clearTimeout(ping.timer);
    ping.resolve(nowMs - ping.sentAt);
    return true;
  }

  /** Fails every outstanding ping (the stack is closing). */
  close(): void {
    for (const port of [...this.#pending.keys()]) {
      this.fail(port, new PilotError("transport_closed", "stack closed"));
    }
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
