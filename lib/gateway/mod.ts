/**
 * The IP gateway (services.md §9): local IPv4 addresses mapped to overlay addresses, TCP listeners on
 * them bridged to overlay streams, loopback aliases, and the control socket through which pilotctl
 * reaches a running gateway (issue #5). Other areas import from here.
 *
 * @module
 */

export * from "./ipv4.ts";
export * from "./mapping_table.ts";
export * from "./loopback_alias.ts";
export * from "./bridge.ts";
export * from "./gateway.ts";
export * from "./control_messages.ts";
export * from "./control.ts";
