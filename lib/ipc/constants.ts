/**
 * Numbers of the driver↔daemon IPC protocol (control.md §9): command codes, handshake sub-commands, the
 * frame limit, then the tunables of our driver with the reason for each.
 *
 * @module
 */

/** Command codes of control.md §9.2, by name. */
export const IPC_COMMANDS = {
  BIND: 0x01,
  BIND_OK: 0x02,
  DIAL: 0x03,
  DIAL_OK: 0x04,
  ACCEPT: 0x05,
  SEND: 0x06,
  RECV: 0x07,
  CLOSE: 0x08,
  CLOSE_OK: 0x09,
  ERROR: 0x0a,
  SEND_TO: 0x0b,
  RECV_FROM: 0x0c,
  INFO: 0x0d,
  INFO_OK: 0x0e,
  HANDSHAKE: 0x0f,
  HANDSHAKE_OK: 0x10,
  RESOLVE_HOSTNAME: 0x11,
  RESOLVE_HOSTNAME_OK: 0x12,
  SET_HOSTNAME: 0x13,
  SET_HOSTNAME_OK: 0x14,
  SET_VISIBILITY: 0x15,
  SET_VISIBILITY_OK: 0x16,
  DEREGISTER: 0x17,
  DEREGISTER_OK: 0x18,
  SET_TAGS: 0x19,
  SET_TAGS_OK: 0x1a,
  SET_WEBHOOK: 0x1b,
  SET_WEBHOOK_OK: 0x1c,
  SET_TASK_EXEC: 0x1d,
  SET_TASK_EXEC_OK: 0x1e,
} as const;

/** One of the command codes of {@linkcode IPC_COMMANDS}. */
export type IpcCommandCode = (typeof IPC_COMMANDS)[keyof typeof IPC_COMMANDS];

/** Handshake sub-command codes of control.md §9.4. */
export const HANDSHAKE_SUBS = {
  REQUEST: 0x01,
  APPROVE: 0x02,
  REJECT: 0x03,
  PENDING: 0x04,
  TRUSTED: 0x05,
  REVOKE: 0x06,
} as const;

/** Largest frame body (command byte + payload) either side reads, control.md §9.1. */
export const MAX_IPC_BODY = 1_048_576;

/** Size of the big-endian length prefix of every frame. */
export const IPC_PREFIX_SIZE = 4;

/** Command byte plus conn_id of a Send frame: what is left of a body for data. */
export const SEND_HEADER_SIZE = 5;

/** Most data bytes one Send frame carries (1 MiB − 5, control.md §9.5). */
export const MAX_SEND_DATA = MAX_IPC_BODY - SEND_HEADER_SIZE;

/** Command byte, address and port of a SendTo frame. */
export const SEND_TO_HEADER_SIZE = 9;

/** The `code` of every Error frame the reference sends (control.md §9.2). */
export const IPC_ERROR_CODE = 1;

// Tunables of our driver. The first two mirror the reference driver (§9.5), so a slow reader loses
// datagrams and accepts at the same point as with the reference.

/** Datagrams (RecvFrom) the driver keeps undelivered before it drops new ones. */
export const RECV_FROM_QUEUE = 256;

/** Accepted connections per bound port waiting for `accept()`. */
export const ACCEPT_QUEUE = 64;

/**
 * Bytes of received stream data the driver buffers for readers before it stops reading the socket.
 * The reference buffers without bound; we pause instead, so a reader that never reads cannot exhaust
 * memory. Pausing stalls every stream of that IPC connection, which is why it is generous.
 */
export const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * Bytes a stream connection's `writable` keeps in Send frames not yet on the socket. Two of the frame
 * writer's 256 KiB batches: one is written while the next fills, so a writer of 4 KiB chunks (`bench`)
 * costs one system call per batch instead of one per chunk.
 */
export const SEND_BYTES_IN_FLIGHT = 512 * 1024;
