/**
 * Datagram and control packets (`spec/network.md` §6): how the stack builds a datagram, a ping and the
 * pong that answers one, and which received control packets deserve an answer. Pure: no I/O, no clock.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { FLAGS, isBroadcast, MAX_PAYLOAD, PROTOCOL_VERSION, PROTOCOLS } from "../protocol/mod.ts";
import type { Address, Packet } from "../protocol/mod.ts";

/** The exact local error of a broadcast send (§1.5; the dash is U+2014). */
export const BROADCAST_REFUSED = "broadcast is not available \u2014 custom networks are WIP";

/** The control port that answers pings (§1.6, §6.2). */
export const PING_PORT = 0;

/** A received datagram as applications see it. */
export interface Datagram {
  readonly src: Address;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly data: Uint8Array;
}

/**
 * The packet of an outgoing datagram (§6.1): flags, seq, ack and window 0.
 *
 * @throws {PilotError} `transport_broadcast` for a broadcast destination (§1.5);
 *   `transport_datagram_too_large` past {@linkcode MAX_PAYLOAD} bytes.
 */
export function datagramPacket(
  from: { address: Address; port: number },
  to: { address: Address; port: number },
  data: Uint8Array,
): Packet {
  if (isBroadcast(to.address)) throw new PilotError("transport_broadcast", BROADCAST_REFUSED);
  if (data.byteLength > MAX_PAYLOAD) {
    throw new PilotError(
      "transport_datagram_too_large",
      `datagram of ${data.byteLength} bytes exceeds ${MAX_PAYLOAD}`,
      { hint: "split the data or use a stream" },
    );
  }
  return {
    version: PROTOCOL_VERSION,
    flags: 0,
    protocol: PROTOCOLS.DATAGRAM,
    src: from.address,
    dst: to.address,
    srcPort: from.port,
    dstPort: to.port,
    seq: 0,
    ack: 0,
    window: 0,
    payload: data,
  };
}

/** A control ping to port 0 from `srcPort`, which must not be 0 (Q15). */
export function pingPacket(
  src: Address,
  dst: Address,
  srcPort: number,
  seq: number,
  payload: Uint8Array,
): Packet {
  if (srcPort === PING_PORT) throw new Error("pings are never sent from port 0 (Q15)");
  return {
    version: PROTOCOL_VERSION,
    flags: 0,
    protocol: PROTOCOLS.CONTROL,
    src,
    dst,
    srcPort,
    dstPort: PING_PORT,
    seq,
    ack: 0,
    window: 0,
    payload,
  };
}

/**
 * The pong for a received control packet, or `undefined` when it gets none: only packets to port 0
 * are pings (whatever their flags, §6.2), and pings from port 0 are refused (Q15), since our pong to
 * port 0 would itself be a ping and two daemons would ping-pong forever.
 */
export function pongFor(ping: Packet, local: Address): Packet | undefined {
  if (ping.protocol !== PROTOCOLS.CONTROL || ping.dstPort !== PING_PORT || ping.srcPort === PING_PORT) {
    return undefined;
  }
  return {
    version: PROTOCOL_VERSION,
    flags: FLAGS.ACK,
    protocol: PROTOCOLS.CONTROL,
    src: local,
    dst: ping.src,
    srcPort: PING_PORT,
    dstPort: ping.srcPort,
    seq: ping.seq,
    ack: (ping.seq + 1) >>> 0,
    window: 0,
    payload: ping.payload,
  };
}
