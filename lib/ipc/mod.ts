/**
 * Driver↔daemon IPC (control.md §9): message codec, framing, the daemon-side server and the driver
 * client. Other areas import from here.
 *
 * @module
 */

export * from "./constants.ts";
export * from "./messages.ts";
export * from "./handshake.ts";
export * from "./json.ts";
export * from "./frame_stream.ts";
export * from "./server.ts";
export * from "./client.ts";
export * from "./stream_conn.ts";
