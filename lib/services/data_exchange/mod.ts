/**
 * Data Exchange, port 1001 (services.md §4): the frame codec, the built-in service with its inbox and
 * received-file storage, the listings behind `pilotctl inbox` / `pilotctl received`, and the client
 * side of `send-message` / `send-file`.
 *
 * Deviations from the reference (bugs we do not copy), detailed in each module's header:
 * - every stored message and file is written atomically and fsynced before its ACK (inbox_store.ts,
 *   received_store.ts); temp files of aborted transfers are removed, and those of a crash at start;
 * - nothing is ever overwritten: taken names get `_001`, `_002`, ... before the extension;
 * - a non-UTF-8 message keeps its exact bytes in an extra `data_base64` field (inbox_store.ts);
 * - files stream to disk, and files over one frame travel as named parts (file_parts.ts);
 * - file names over 65,535 bytes are refused instead of wrapping their 16-bit length (frame.ts);
 * - an `ERR` reply is a `service_rejected` error on the client (client.ts).
 *
 * @example
 * ```ts
 * import { DataExchangeServer, listInbox, sendMessage } from "./mod.ts";
 * const home = await Deno.makeTempDir();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const server = await DataExchangeServer.start(listener, {
 *   home,
 *   peerOf: () => ({ address: "0:0000.0000.0001", nodeId: 1 }),
 * });
 * const conn = await Deno.connect(listener.addr);
 * const result = await sendMessage(conn, { type: "text", data: "hello" });
 * conn.close();
 * if (result.ack !== "ACK TEXT 5 bytes") throw new Error("acknowledged");
 * const inbox = await listInbox(home);
 * if (inbox.messages[0]?.data !== "hello") throw new Error("stored");
 * await server.close();
 * await Deno.remove(home, { recursive: true });
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./frame.ts";
export * from "./frame_parser.ts";
export * from "./frame_stream.ts";
export * from "./file_parts.ts";
export * from "./inbox_store.ts";
export * from "./received_store.ts";
export * from "./service_conn.ts";
export * from "./session.ts";
export * from "./server.ts";
export * from "./client.ts";
export type { SkippedEntry } from "./_store_dir.ts";
