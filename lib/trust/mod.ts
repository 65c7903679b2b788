/**
 * The trust model (control.md §7): the port-444 handshake message, the local trust list and `trust.json`,
 * and the state machine that ties them to the registry and the daemon.
 *
 * @module
 */

export * from "./constants.ts";
export * from "./handshake_message.ts";
export * from "./handshake_verifier.ts";
export * from "./ipc_replies.ts";
export * from "./peer_key_cache.ts";
export * from "./manager_deps.ts";
export * from "./replay_cache.ts";
export * from "./trust_file.ts";
export * from "./trust_manager.ts";
export * from "./trust_store.ts";
