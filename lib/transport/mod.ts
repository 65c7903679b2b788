/**
 * The stream transport (`spec/network.md` §5) as pure state machines: connections, the connection
 * table that demultiplexes packets and admits SYNs, and their building blocks. Nothing here touches a
 * socket or a clock; a driver feeds packets and `now`, sends what comes out and arms one timer at
 * `nextDeadline()`.
 *
 * The driver that does exactly that for a node, {@linkcode Stack}, is exported here too, with the
 * `Deno.Listener`/`Deno.Conn`-shaped {@linkcode OverlayListener} and {@linkcode OverlayConn} it hands
 * out, its datagrams and the `conn_list` rows of Info.
 *
 * @example
 * ```ts
 * import { ConnectionTable } from "./mod.ts";
 * const table = new ConnectionTable({ localAddress: { network: 0, node: 1 } }, 0);
 * table.dial({ address: { network: 0, node: 2 }, port: 1000 }, 0);
 * const [send] = table.takeActions();
 * if (send.type !== "send" || send.packet.srcPort !== 49152) throw new Error("SYN from the first ephemeral port");
 * if (table.nextDeadline() !== 1000) throw new Error("SYN retry after 1 s");
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./config.ts";
export * from "./state.ts";
export { Connection } from "./connection.ts";
export type {
  CloseOptions,
  ConnectionHooks,
  ConnectionOptions,
  ConnectionSignal,
} from "./connection_types.ts";
export { ConnectionTable } from "./connection_table.ts";
export type {
  ConnectionTableOptions,
  DialOptions,
  TransportAction,
  TransportEventName,
} from "./connection_table.ts";
export { SynSchedule } from "./dial_schedule.ts";
export type { SynExpiry, SynScheduleOptions } from "./dial_schedule.ts";
export { EphemeralPorts } from "./ephemeral_ports.ts";
export type { PortUse } from "./ephemeral_ports.ts";
export { SynLimiter, TokenBucket } from "./syn_limiter.ts";
export type { SynLimiterOptions, SynVerdict } from "./syn_limiter.ts";
export { RttEstimator } from "./rtt.ts";
export { Liveness } from "./liveness.ts";
export type { LivenessDue } from "./liveness.ts";
export { TimeWait } from "./time_wait.ts";
export type { TimeWaitDue } from "./time_wait.ts";
export { CongestionControl } from "./congestion.ts";
export type { DuplicateAckOutcome } from "./congestion.ts";
export { SendBuffer } from "./send_buffer.ts";
export type { AckResult, SentSegment } from "./send_buffer.ts";
export { Reassembly } from "./reassembly.ts";
export type { DeliverySink, ReassemblyOptions, ReceiveOutcome } from "./reassembly.ts";
export { ReceiveQueue } from "./receive_queue.ts";
export { StreamReceiver } from "./receiver.ts";
export type { ReceiverHooks } from "./receiver.ts";
export { StreamSender } from "./sender.ts";
export type { SenderHooks, TimerOutcome, TransmitKind } from "./sender.ts";
export { Stack } from "./stack.ts";
export type { PacketSink, PingOptions, StackDialOptions, StackEventName, StackOptions } from "./stack.ts";
export { OverlayConn, rejectHalfClose } from "./conn.ts";
export { OverlayListener } from "./listener.ts";
export type { Listener, OverlayAddr } from "./listener.ts";
export type { Datagram } from "./datagram.ts";
export type { ConnectionInfo } from "./stack_info.ts";
