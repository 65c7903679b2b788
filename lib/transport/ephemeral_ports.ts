/**
 * The daemon-wide ephemeral port cursor (`spec/network.md` §5.16): starts at 49152, advances on every
 * allocation (65535 wraps to 49152) and skips ports in use. It also supplies the source port of every
 * datagram.
 *
 * Q20: the reference skips only ports of active connections, so a port whose old connection is in
 * TIME_WAIT can be reused while the peer still holds the old tuple. We prefer ports with no connection
 * at all, fall back to one whose connection is only in TIME_WAIT, and, with all 16384 active, return the
 * last candidate as the reference does.
 *
 * @module
 */

import { EPHEMERAL_PORT_MAX, EPHEMERAL_PORT_MIN } from "./constants.ts";

/** How busy a port is, as the connection table sees it. */
export type PortUse = "free" | "time-wait" | "active";

const RANGE = EPHEMERAL_PORT_MAX - EPHEMERAL_PORT_MIN + 1;

/** The allocation cursor. */
export class EphemeralPorts {
  #cursor = EPHEMERAL_PORT_MIN;

  /** The port the next allocation tries first. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Takes the next port, skipping busy ones (see the module note for the order of preference). */
  allocate(useOf: (port: number) => PortUse): number {
    let fallback: number | undefined;
    let last = this.#cursor;
    for (let i = 0; i < RANGE; i++) {
      const port = this.#advance();
      last = port;
      const use = useOf(port);
      if (use === "free") return port;
      if (use === "time-wait") fallback ??= port;
    }
    return fallback ?? last;
  }

  /** A port for a datagram: the next cursor value, busy or not (§5.16, §6.1). */
  next(): number {
    return this.#advance();
  }

  #advance(): number {
    const port = this.#cursor;
    this.#cursor = port === EPHEMERAL_PORT_MAX ? EPHEMERAL_PORT_MIN : port + 1;
    return port;
  }
}
