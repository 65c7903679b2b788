/**
 * Go-style command-line flags, config files and `host:port` text, shared by every binary's entry point.
 *
 * @module
 */

export * from "./go_flags.ts";
export * from "./go_values.ts";
export * from "./config_file.ts";
export * from "./host_port.ts";
export * from "./program_flags.ts";
