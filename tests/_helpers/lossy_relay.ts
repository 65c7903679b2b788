/**
 * A UDP relay between two daemons that loses, duplicates and reorders datagrams, driven by a seeded
 * generator so a failure can be replayed. Each daemon registers one of the relay's sockets as its
 * endpoint (`-endpoint`), so the other daemon's traffic goes through the relay:
 *
 *   A --(to faceB)--> relay --(from faceA)--> B      B --(to faceA)--> relay --(from faceB)--> A
 *
 * Each side therefore sees the other at the face it registered, as across a real lossy network.
 *
 * @module
 */

import { Prng } from "../../lib/protocol/_fuzz.ts";

/** Fault rates, each a probability per datagram. */
export interface Faults {
  drop: number;
  duplicate: number;
  /** Held back and sent after the next datagram. */
  reorder: number;
}

interface Side {
  face: Deno.DatagramConn;
  /** The real tunnel socket of the daemon behind this face; unknown until it started. */
  real: Deno.NetAddr | undefined;
}

/** Counters of what the relay did. */
export interface RelayStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/** The relay; close it with `await using`. */
export class LossyRelay implements AsyncDisposable {
  readonly a: Side;
  readonly b: Side;
  readonly stats: RelayStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  #rng: Prng;
  #faults: Faults;
  #loops: Promise<void>[];

  constructor(faults: Faults, seed: number) {
    this.#faults = faults;
    this.#rng = new Prng(seed);
    const bind = () => Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    this.a = { face: bind(), real: undefined };
    this.b = { face: bind(), real: undefined };
    // What reaches A's face came from B and goes on to A from B's face, and the other way round.
    this.#loops = [this.#pump(this.a, this.b), this.#pump(this.b, this.a)];
  }

  /** `host:port` of a face, for the daemon behind it to pass to `-endpoint`. */
  static faceOf(side: Side): string {
    const addr = side.face.addr as Deno.NetAddr;
    return `${addr.hostname}:${addr.port}`;
  }

  async #pump(inbound: Side, outbound: Side): Promise<void> {
    let held: Uint8Array | undefined;
    const buffer = new Uint8Array(70_000);
    for (;;) {
      let bytes: Uint8Array;
      try {
        [bytes] = await inbound.face.receive(buffer);
      } catch {
        return; // the socket was closed: the relay is shutting down
      }
      const target = inbound.real;
      if (target === undefined) continue;
      const send = (data: Uint8Array) => outbound.face.send(data, target).catch(() => {});
      const datagram = bytes.slice();
      if (this.#rng.below(1_000_000) < this.#faults.drop * 1_000_000) {
        this.stats.dropped++;
        continue;
      }
      if (held === undefined && this.#rng.below(1_000_000) < this.#faults.reorder * 1_000_000) {
        held = datagram;
        this.stats.reordered++;
        continue;
      }
      await send(datagram);
      this.stats.forwarded++;
      if (this.#rng.below(1_000_000) < this.#faults.duplicate * 1_000_000) {
        await send(datagram);
        this.stats.duplicated++;
      }
      if (held !== undefined) {
        await send(held);
        held = undefined;
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.a.face.close();
    this.b.face.close();
    await Promise.all(this.#loops);
  }
}

/** Reads `host:port` from a daemon's "daemon running" record field. */
export function netAddr(text: string): Deno.NetAddr {
  const colon = text.lastIndexOf(":");
  return { transport: "udp", hostname: text.slice(0, colon), port: Number(text.slice(colon + 1)) };
}
