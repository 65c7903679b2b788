/**
 * The interface of a connection (connection.ts): its options, the hooks through which it sends packets and
 * signals, and the signals themselves. Kept apart so the connection table and drivers can name them
 * without reading the state machine.
 *
 * @module
 */

import type { PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { Address, Packet, SocketAddress } from "../protocol/mod.ts";
import type { TransportConfig } from "./config.ts";
import type { PathBudget } from "./path_budget.ts";
import type { EndReason } from "./state.ts";

/** What a connection tells its driver besides packets to send. */
export type ConnectionSignal =
  /** Dialler: the SYN|ACK arrived, the connection is usable. */
  | { type: "established" }
  /** Dialler: the dial is over without a connection (`transport_refused`, `transport_dial_timeout`). */
  | { type: "dial-failed"; error: PilotError }
  /** Dialler: switch the peer to relay mode (§5.4, 3rd SYN retry with a beacon). */
  | { type: "relay-requested" }
  /** Received data or end-of-stream waits in `takeReceived()` / `isReceiveEnded`. */
  | { type: "readable" }
  /** The send buffer has room again after a short write. */
  | { type: "writable" }
  /** A FIN arrived while not yet in TIME_WAIT (`conn.fin`). */
  | { type: "fin-received" }
  /** An RST arrived (`conn.rst`). */
  | { type: "rst-received" }
  /** The idle timeout is closing the connection (`conn.idle_timeout`). */
  | { type: "idle-timeout" }
  /** Final: the connection is gone and must be forgotten. */
  | { type: "closed"; reason: EndReason };

/** Where a connection's output goes. */
export interface ConnectionHooks {
  /** Transmit `packet` to the peer; the connection does not touch it again. */
  send(packet: Packet): void;
  /** A state change the application or the connection table must see. */
  signal(signal: ConnectionSignal): void;
  /** Called into from outside its own packets and calls (the shared path resumed it): re-read its deadlines. */
  touched?(): void;
}

/** Options of {@linkcode Connection.dial} and {@linkcode Connection.accept}. */
export interface ConnectionOptions {
  /** Daemon-local connection ID (1, 2, 3 …, §5.1). */
  id: number;
  /** Our own overlay address, the source of every packet. */
  localAddress: Address;
  localPort: number;
  remote: SocketAddress;
  hooks: ConnectionHooks;
  logger?: Logger;
  config?: Partial<TransportConfig>;
  /** The in-flight budget shared by every connection to the same peer node (path_budget.ts). */
  path?: PathBudget;
  /** The send buffer's size, read at each write; default `config.sendBufferBytes`. */
  sendCapacity?: () => number;
}

/** Options of `close()`. */
export interface CloseOptions {
  /** Send FIN now even if data is still queued or unacknowledged (that data is abandoned). */
  force?: boolean;
}
