/**
 * Test helpers for lib/tunnel and tests/tunnel_*: an inbox that waits on a condition with a deadline
 * (no sleeps), a raw UDP peer that records what it receives, and a small "registry" of test nodes that
 * feeds the tunnels' resolve and identity-lookup callbacks. Not exported from mod.ts.
 *
 * @module
 */

import { generateIdentity, type Identity, type TunnelKeyPair } from "../crypto/mod.ts";
import { encodePacket } from "../protocol/mod.ts";
import type { TunnelEventData, TunnelEventName } from "./events.ts";
import { Tunnel, type TunnelOptions } from "./tunnel.ts";
import { formatUdpAddr, type UdpAddr, UdpEndpoint } from "../net/mod.ts";

/** Collects items and lets a test wait until a condition over them holds. */
export class Inbox<T> {
  readonly items: T[] = [];
  #waiters: { check: () => boolean; resolve: () => void }[] = [];

  /** Adds an item and wakes waiters whose condition now holds. */
  push(item: T): void {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `predicate(items)` holds; rejects after `timeoutMs` naming `what`. */
  waitFor(predicate: (items: T[]) => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (predicate(this.items)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => predicate(this.items),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.items.length} items)`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}

/** A received datagram (copied). */
export interface Datagram {
  readonly bytes: Uint8Array;
  readonly from: UdpAddr;
}

/** A bare UDP socket on loopback that records every datagram: a peer the test drives by hand. */
export class RawPeer implements AsyncDisposable {
  readonly socket: UdpEndpoint;
  readonly inbox: Inbox<Datagram> = new Inbox();
  #loop: Promise<void>;

  constructor() {
    const socket = UdpEndpoint.bind({ hostname: "127.0.0.1", port: 0 });
    this.socket = socket;
    this.#loop = (async () => {
      const buffer = new Uint8Array(65_536);
      while (!socket.closed) {
        try {
          const [bytes, from] = await socket.receive(buffer);
          this.inbox.push({ bytes: bytes.slice(), from });
        } catch {
          // Closed under the pending receive: the loop ends.
          break;
        }
      }
    })();
  }

  get addr(): UdpAddr {
    return this.socket.addr;
  }

  /** `host:port` of the socket. */
  get text(): string {
    return formatUdpAddr(this.socket.addr);
  }

  send(bytes: Uint8Array, to: UdpAddr): Promise<void> {
    return this.socket.send(bytes, to);
  }

  /** Datagrams received so far whose magic is `magic` (4 ASCII letters) or whose first byte is `magic`. */
  frames(magic: string): Datagram[] {
    return this.inbox.items.filter((d) => new TextDecoder().decode(d.bytes.subarray(0, 4)) === magic);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.socket.settled();
    this.socket.close();
    await this.#loop;
  }
}

/**
 * Node 1's tunnel (encrypting, with an identity) facing a raw peer as node 2: the "registry" resolves
 * node 2 to `raw` and knows `rawIdentity` as its key. Close it with `await using` or `close()`.
 */
export function tunnelFacing(
  raw: RawPeer,
  rawIdentity: Identity,
  options: Partial<Omit<TunnelOptions, "listen">> = {},
): Tunnel {
  return new Tunnel({
    listen: { hostname: "127.0.0.1", port: 0 },
    nodeId: 1,
    identity: generateIdentity(),
    resolvePeer: () => Promise.resolve(raw.text),
    lookupIdentityKey: (id) => id === 2 ? rawIdentity.publicKey : undefined,
    ...options,
  });
}

/** A packet as a test keeps it (the payload copied out of the receive buffer). */
export interface Received {
  readonly srcNode: number;
  readonly fromNode: number;
  readonly seq: number;
  readonly dstPort: number;
  readonly encrypted: boolean;
  readonly relayed: boolean;
  readonly payload: Uint8Array;
}

/** An encoded data packet from node `src` to node `dst`. */
export function testPacket(
  src: number,
  dst: number,
  seq: number,
  payload = new Uint8Array(0),
  dstPort = 1000,
): Uint8Array {
  return encodePacket({
    version: 1,
    flags: 0x2,
    protocol: 0x01,
    src: { network: 0, node: src },
    dst: { network: 0, node: dst },
    srcPort: 49152,
    dstPort,
    seq,
    ack: 0,
    window: 512,
    payload,
  });
}

/** One test node: its tunnel and what it received. */
export interface TestNode {
  readonly nodeId: number;
  readonly identity: Identity;
  readonly tunnel: Tunnel;
  readonly packets: Inbox<Received>;
  readonly events: Inbox<{ name: TunnelEventName; data: TunnelEventData[TunnelEventName] }>;
}

/** Extra per-node options of {@linkcode TestNetwork.add}. */
export type TestNodeOptions = Partial<Omit<TunnelOptions, "onPacket" | "onEvent">> & {
  keyPair?: TunnelKeyPair;
};

/**
 * A set of nodes that know each other's addresses and identity keys, as the registry would tell them.
 * `addresses` and `keys` may be edited by a test (for example to point at a dead socket).
 */
export class TestNetwork implements AsyncDisposable {
  readonly addresses = new Map<number, string>();
  readonly keys = new Map<number, Uint8Array>();
  readonly nodes: TestNode[] = [];

  /** Starts a tunnel for `nodeId` on 127.0.0.1:0 and registers it. */
  add(nodeId: number, options: TestNodeOptions = {}): TestNode {
    const identity = options.identity ?? generateIdentity();
    const packets = new Inbox<Received>();
    const events = new Inbox<{ name: TunnelEventName; data: TunnelEventData[TunnelEventName] }>();
    const tunnel = new Tunnel({
      listen: { hostname: "127.0.0.1", port: 0 },
      nodeId,
      resolvePeer: (id) => {
        const addr = this.addresses.get(id);
        return addr === undefined
          ? Promise.reject(new Error("registry: no such node"))
          : Promise.resolve(addr);
      },
      lookupIdentityKey: (id) => this.keys.get(id),
      ...options,
      identity,
      onPacket: (packet, fromNode, info) =>
        packets.push({
          srcNode: packet.src.node,
          fromNode,
          seq: packet.seq,
          dstPort: packet.dstPort,
          encrypted: info.encrypted,
          relayed: info.relayed,
          payload: packet.payload.slice(),
        }),
      onEvent: (name, data) => events.push({ name, data }),
    });
    this.addresses.set(nodeId, formatUdpAddr(tunnel.localAddr));
    this.keys.set(nodeId, identity.publicKey);
    const node = { nodeId, identity, tunnel, packets, events };
    this.nodes.push(node);
    return node;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.tunnel.close()));
  }
}

/** Resolves once `check()` holds, re-checking every few ms; rejects after `timeoutMs` naming `what`. */
export function eventually(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (performance.now() > deadline) return reject(new Error(`timed out after ${timeoutMs} ms: ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}
