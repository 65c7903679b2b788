/**
 * Two real stacks over two real tunnels on 127.0.0.1 (port 0), optionally through a lossy UDP relay
 * socket that drops, duplicates and reorders datagrams with a seeded PRNG. Each tunnel's resolver
 * points at the other tunnel, or at the relay, so every packet crosses real UDP.
 *
 * @module
 */

import { Prng } from "../../lib/protocol/_fuzz.ts";
import type { Address, Packet } from "../../lib/protocol/mod.ts";
import { Stack } from "../../lib/transport/mod.ts";
import type { StackOptions, TransportConfig } from "../../lib/transport/mod.ts";
import { Tunnel, type UdpAddr, UdpEndpoint } from "../../lib/tunnel/mod.ts";

/** How the relay disturbs traffic, each a probability in 0..1. */
export interface Faults {
  drop: number;
  duplicate: number;
  reorder: number;
  seed: number;
}

/** A UDP socket between two tunnels that forwards each datagram to the other side, with faults. */
export class LossyRelay implements AsyncDisposable {
  readonly socket: UdpEndpoint;
  readonly counts = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  #sides: [UdpAddr | undefined, UdpAddr | undefined] = [undefined, undefined];
  #rng: Prng;
  #faults: Faults;
  #held: { bytes: Uint8Array; to: UdpAddr } | undefined;
  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  #loop: Promise<void>;

  constructor(faults: Faults) {
    this.#faults = faults;
    this.#rng = new Prng(faults.seed);
    this.socket = UdpEndpoint.bind({ hostname: "127.0.0.1", port: 0 });
    this.#loop = this.#run();
  }

  get addr(): UdpAddr {
    return this.socket.addr;
  }

  /** Sets the two tunnel sockets it joins. */
  join(a: UdpAddr, b: UdpAddr): void {
    this.#sides = [a, b];
  }

  async #run(): Promise<void> {
    const buffer = new Uint8Array(65_600);
    while (!this.socket.closed) {
      let got: [Uint8Array, UdpAddr];
      try {
        got = await this.socket.receive(buffer);
      } catch {
        break; // closed under the pending receive
      }
      const [a, b] = this.#sides;
      if (a === undefined || b === undefined) continue;
      const [bytes, from] = got;
      const to = from.port === a.port ? b : from.port === b.port ? a : undefined;
      if (to === undefined) continue;
      this.#forward(bytes.slice(), to);
    }
  }

  #forward(bytes: Uint8Array, to: UdpAddr): void {
    const rng = this.#rng;
    const roll = () => rng.nextU32() / 0x1_0000_0000;
    if (roll() < this.#faults.drop) {
      this.counts.dropped++;
      return;
    }
    if (this.#held === undefined && roll() < this.#faults.reorder) {
      // Goes out after the next datagram, or after 2 ms if none comes (a sender waiting on this very
      // packet would otherwise stall until its retransmission timer).
      this.#held = { bytes, to };
      this.#holdTimer = setTimeout(() => this.#release(), 2);
      this.counts.reordered++;
      return;
    }
    this.#send(bytes, to);
    if (roll() < this.#faults.duplicate) {
      this.counts.duplicated++;
      this.#send(bytes, to);
    }
    this.#release();
  }

  #release(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined && !this.socket.closed) this.#send(held.bytes, held.to);
  }

  #send(bytes: Uint8Array, to: UdpAddr): void {
    this.counts.forwarded++;
    this.socket.send(bytes, to).catch(() => {});
  }

  async [Symbol.asyncDispose](): Promise<void> {
    clearTimeout(this.#holdTimer);
    this.#held = undefined;
    await this.socket.settled();
    this.socket.close();
    await this.#loop;
  }
}

/** Options of {@linkcode stackPair}. */
export interface StackPairOptions {
  encrypt: boolean;
  faults?: Faults;
  config?: Partial<TransportConfig>;
  stack?: Partial<StackOptions>;
  /** Sees every packet a tunnel delivers, before its stack does. */
  tap?: (side: "a" | "b", packet: Packet) => void;
}

/** Two connected nodes, 0:0000.0000.0001 (a) and 0:0000.0000.0002 (b). */
export interface StackPair extends AsyncDisposable {
  a: Stack;
  b: Stack;
  tunnelA: Tunnel;
  tunnelB: Tunnel;
  addrA: Address;
  addrB: Address;
  relay: LossyRelay | undefined;
}

/** Builds the pair; dispose it to close stacks, tunnels and relay in order. */
export function stackPair(options: StackPairOptions): StackPair {
  const addrA = { network: 0, node: 1 };
  const addrB = { network: 0, node: 2 };
  const relay = options.faults === undefined ? undefined : new LossyRelay(options.faults);
  const holder: { a?: Stack; b?: Stack } = {};
  let portA = 0;
  let portB = 0;
  const tunnelB = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 2,
    encrypt: options.encrypt,
    resolvePeer: () => Promise.resolve(`127.0.0.1:${relay?.addr.port ?? portA}`),
    onPacket: (packet, from) => {
      options.tap?.("b", packet);
      holder.b?.receive(packet, from);
    },
  });
  const tunnelA = new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    encrypt: options.encrypt,
    resolvePeer: () => Promise.resolve(`127.0.0.1:${relay?.addr.port ?? portB}`),
    onPacket: (packet, from) => {
      options.tap?.("a", packet);
      holder.a?.receive(packet, from);
    },
  });
  portA = tunnelA.localAddr.port;
  portB = tunnelB.localAddr.port;
  relay?.join(tunnelA.localAddr, tunnelB.localAddr);
  const a = new Stack({
    localAddress: addrA,
    send: (node, bytes) => tunnelA.send(node, bytes),
    config: options.config,
    ...options.stack,
  });
  const b = new Stack({
    localAddress: addrB,
    send: (node, bytes) => tunnelB.send(node, bytes),
    config: options.config,
    ...options.stack,
  });
  holder.a = a;
  holder.b = b;
  return {
    a,
    b,
    tunnelA,
    tunnelB,
    addrA,
    addrB,
    relay,
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
      await tunnelA.close();
      await tunnelB.close();
      await relay?.[Symbol.asyncDispose]();
    },
  };
}

/** Deterministic test data: `n` bytes from a seeded PRNG (fast: 4 bytes per draw). */
export function testBytes(n: number, seed: number): Uint8Array {
  const rng = new Prng(seed);
  const out = new Uint8Array(n);
  const view = new DataView(out.buffer);
  let i = 0;
  for (; i + 4 <= n; i += 4) view.setUint32(i, rng.nextU32());
  for (; i < n; i++) out[i] = rng.nextU32() & 0xFF;
  return out;
}

/** Reads `conn` to end of stream into one buffer, refusing more than `limit` bytes. */
export async function readAll(
  conn: { read(b: Uint8Array): Promise<number | null> },
  limit: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(limit);
  let filled = 0;
  for (;;) {
    if (filled === limit) {
      const extra = await conn.read(new Uint8Array(1));
      if (extra === null) return out;
      throw new Error(`more than ${limit} bytes`);
    }
    const n = await conn.read(out.subarray(filled));
    if (n === null) return out.subarray(0, filled);
    filled += n;
  }
}

/** Writes all of `bytes`, in chunks of `chunk` bytes. */
export async function writeAll(
  conn: { write(b: Uint8Array): Promise<number> },
  bytes: Uint8Array,
  chunk = 65_536,
): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    offset += await conn.write(bytes.subarray(offset, Math.min(bytes.byteLength, offset + chunk)));
  }
}

/** Reads exactly `n` bytes (throws at an early end). */
export async function readExactly(
  conn: { read(b: Uint8Array): Promise<number | null> },
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let filled = 0; filled < n;) {
    const got = await conn.read(out.subarray(filled));
    if (got === null) throw new Error(`stream ended after ${filled} of ${n} bytes`);
    filled += got;
  }
  return out;
}
