/**
 * The beacon: its UDP server (embedded in the daemon by default, or standalone through `cli/beacon.ts`)
 * and the daemon-side helpers of control.md §5.4.
 *
 * @module
 */

export { BeaconServer, type BeaconServerOptions, type BeaconStats, startBeacon } from "./server.ts";
export * from "./client.ts";
export * from "./constants.ts";
export { type UdpAddr } from "../net/mod.ts";
export { type HealthServer, type HealthServerOptions, startHealthServer } from "./health.ts";
