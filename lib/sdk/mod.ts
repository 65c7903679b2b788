/**
 * The Deno-shaped SDK of Pilot Protocol (services.md §10): listen on an overlay port and accept
 * `Deno.Conn`-like connections, dial an address or a hostname, send and receive datagrams. Two forms
 * keep one contract ({@linkcode PilotNode}, {@linkcode PilotConn}, `Listener<C, OverlayAddr>`), so an
 * application written against it runs on either:
 *
 * - {@linkcode connect} reaches a running daemon through its IPC socket and returns a
 *   {@linkcode PilotClient} (out of process: what applications use);
 * - {@linkcode Pilot} runs on a `Stack` in the same process (the daemon's own services, tests); its
 *   hostnames go through an injected resolver, which the daemon points at the registry.
 *
 * An application on a daemon (`PILOT_SOCKET`, else `/tmp/pilot.sock`):
 *
 * ```ts ignore
 * import { connect, type PilotNode } from "./mod.ts";
 *
 * async function echoService(node: PilotNode, port: number): Promise<void> {
 *   using listener = await node.listen({ port });
 *   for await (const conn of listener) void conn.readable.pipeTo(conn.writable).catch(() => conn.close());
 * }
 *
 * await using pilot = await connect();
 * await echoService(pilot, 4000);
 * ```
 *
 * The same contract in process, on two stacks joined back to back in memory:
 *
 * @example
 * ```ts
 * import { Pilot } from "./mod.ts";
 * import { Stack } from "../transport/stack.ts";
 * import { decodePacket } from "../protocol/mod.ts";
 * // Two stacks joined back to back in memory, in place of two daemons and their tunnels.
 * const stacks: Stack[] = [];
 * const wire = (to: number) => (_node: number, bytes: Uint8Array) => {
 *   queueMicrotask(() => stacks[to].receive(decodePacket(bytes), to === 0 ? 2 : 1));
 *   return Promise.resolve();
 * };
 * stacks.push(new Stack({ localAddress: { network: 0, node: 1 }, send: wire(1) }));
 * stacks.push(new Stack({ localAddress: { network: 0, node: 2 }, send: wire(0) }));
 * const server = new Pilot(stacks[1]);
 * const client = new Pilot(stacks[0], {
 *   resolveHostname: (name) => Promise.resolve({ network: 0, node: name === "beta" ? 2 : 0 }),
 * });
 * using listener = server.listen({ port: 3000 });
 * const accepted = listener.accept();
 * const conn = await client.dial("beta", 3000);
 * await conn.write(new TextEncoder().encode("hi"));
 * const peer = await accepted;
 * const buf = new Uint8Array(8);
 * const n = await peer.read(buf);
 * if (new TextDecoder().decode(buf.subarray(0, n ?? 0)) !== "hi") throw new Error("echoed");
 * conn.close();
 * peer.close();
 * await stacks[0].close();
 * await stacks[1].close();
 * ```
 *
 * @module
 */

export { connect, PilotClient } from "./client.ts";
export type { ConnectOptions } from "./client.ts";
export { Pilot } from "./pilot.ts";
export type { PilotOptions } from "./pilot.ts";
export { IpcConn } from "./ipc_conn.ts";
export { IpcListener } from "./ipc_listener.ts";
export type {
  HostnameResolver,
  PilotConn,
  PilotDialOptions,
  PilotListener,
  PilotNode,
  Target,
} from "./contract.ts";
export { DatagramReceiver } from "./datagrams.ts";
export type { DatagramReceiverOptions } from "./datagrams.ts";
export type { OverlayConn } from "../transport/conn.ts";
export type { Listener, OverlayAddr, OverlayListener } from "../transport/listener.ts";
export type { Datagram } from "../transport/datagram.ts";
export type { Address } from "../protocol/mod.ts";
