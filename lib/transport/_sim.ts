/**
 * Test support: a simulated network between connection tables on a fake clock. Packets really are
 * encoded and decoded (so the wire codec is on the path); a seeded generator drops, duplicates and
 * delays them (jitter reorders). Folder-private: only the transport's tests import it.
 *
 * @module
 */

import { decodePacket, encodePacket, FLAGS, PROTOCOL_VERSION, PROTOCOLS } from "../protocol/mod.ts";
import type { Address, Packet } from "../protocol/mod.ts";
import type { ConnectionTable, TransportAction } from "./connection_table.ts";

/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Link behaviour of a {@linkcode SimNet}. */
export interface LinkOptions {
  seed?: number;
  lossRate?: number;
  duplicateRate?: number;
  delayMs?: number;
  /** Extra random delay up to this many ms; packets overtake each other. */
  jitterMs?: number;
}

interface InFlight {
  at: number;
  order: number;
  to: number;
  bytes: Uint8Array;
}

/** Non-send actions reach the test through this callback, with the node whose table produced them. */
export type ActionHandler = (node: number, action: TransportAction) => void;

/** Tables joined by a lossy link, driven by a fake clock. */
export class SimNet {
  nowMs = 0;
  delivered = 0;
  dropped = 0;
  #tables = new Map<number, ConnectionTable>();
  #queue: InFlight[] = [];
  #order = 0;
  #random: () => number;
  #options: Required<LinkOptions>;
  #onAction: ActionHandler;

  constructor(options: LinkOptions, onAction: ActionHandler) {
    this.#options = { seed: 1, lossRate: 0, duplicateRate: 0, delayMs: 5, jitterMs: 0, ...options };
    this.#random = seededRandom(this.#options.seed);
    this.#onAction = onAction;
  }

  /** Joins a table; packets to its node ID reach it. */
  add(table: ConnectionTable): void {
    this.#tables.set(table.localAddress.node, table);
  }

  /** Moves every pending action out of the tables (sends into the link, others to the handler). */
  flush(): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      let moved = false;
      for (const [node, table] of this.#tables) {
        for (const action of table.takeActions()) {
          moved = true;
          if (action.type === "send") this.#transmit(action.packet);
          else this.#onAction(node, action);
        }
      }
      if (!moved) return;
    }
    throw new Error("actions keep producing actions");
  }

  /** Advances to the next packet or deadline and processes it. False when nothing is pending. */
  step(): boolean {
    this.flush();
    let next = this.#queue[0]?.at;
    for (const table of this.#tables.values()) {
      const t = table.nextDeadline();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    if (next === undefined) return false;
    this.nowMs = Math.max(this.nowMs, next);
    while (this.#queue.length > 0 && this.#queue[0].at <= this.nowMs) {
      const item = this.#queue.shift();
      if (item === undefined) break;
      const table = this.#tables.get(item.to);
      if (table === undefined) continue;
      this.delivered++;
      table.receive(decodePacket(item.bytes), this.nowMs);
      this.flush();
    }
    for (const table of this.#tables.values()) {
      const t = table.nextDeadline();
      if (t !== undefined && t <= this.nowMs) {
        table.onTimer(this.nowMs);
        const after = table.nextDeadline();
        if (after !== undefined && after <= this.nowMs) {
          throw new Error(`deadline ${after} not after ${this.nowMs}`);
        }
      }
    }
    this.flush();
    return true;
  }

  /** Steps until `done()` holds; throws after `maxSteps`. Returns the steps taken. */
  runUntil(done: () => boolean, maxSteps: number): number {
    for (let steps = 0; steps < maxSteps; steps++) {
      if (done()) return steps;
      if (!this.step()) {
        if (done()) return steps;
        throw new Error(`simulation idle at ${this.nowMs} ms before the goal was reached`);
      }
    }
    throw new Error(`goal not reached within ${maxSteps} steps (at ${this.nowMs} ms)`);
  }

  /** Called with every packet a table sends, before the link treats it. */
  onSend: ((packet: Packet) => void) | undefined;

  #transmit(packet: Packet): void {
    this.onSend?.(packet);
    const bytes = encodePacket(packet);
    const copies = this.#random() < this.#options.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (this.#random() < this.#options.lossRate) {
        this.dropped++;
        continue;
      }
      const at = this.nowMs + this.#options.delayMs + this.#random() * this.#options.jitterMs;
      const item = { at, order: this.#order++, to: packet.dst.node, bytes };
      let i2 = this.#queue.length;
      while (i2 > 0 && this.#queue[i2 - 1].at > at) i2--;
      this.#queue.splice(i2, 0, item);
    }
  }
}

/** Fields of a stream packet for scripted peers; everything not given is 0 or empty. */
export interface PacketFields {
  flags: number;
  src: Address;
  dst: Address;
  srcPort: number;
  dstPort: number;
  seq?: number;
  ack?: number;
  window?: number;
  payload?: Uint8Array;
}

/** Builds a stream packet. */
export function streamPacket(fields: PacketFields): Packet {
  return {
    version: PROTOCOL_VERSION,
    protocol: PROTOCOLS.STREAM,
    seq: 0,
    ack: 0,
    window: 0,
    payload: new Uint8Array(0),
    ...fields,
  };
}

/** Hex of an encoded packet, upper case like the spec's vectors. */
export function wireHex(packet: Packet): string {
  return encodePacket(packet).toHex().toUpperCase();
}

export { FLAGS };
