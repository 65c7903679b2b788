/**
 * Event stream values: spec values first (services.md §1, §5, §12), then tunables with their reason.
 *
 * @module
 */

/** The event stream broker's port (services.md §1). */
export const EVENT_STREAM_PORT = 1002;

/** Bytes of the topic length field, u16 BE (services.md §5.1). */
export const TOPIC_LENGTH_SIZE = 2;

/** Bytes of the payload length field, u32 BE (services.md §5.1). */
export const PAYLOAD_LENGTH_SIZE = 4;

/** A reader refuses a declared topic longer than this, before reading it (services.md §5.1, §12). */
export const MAX_TOPIC_BYTES = 1024;

/** A reader refuses a declared payload longer than this, before reading it (services.md §5.1, §12). */
export const MAX_EVENT_PAYLOAD_BYTES = 16_777_216;

/** The topic that receives every publication, as in the reference (services.md §5.3). */
export const ALL_TOPICS = "*";

/**
 * Tunable: events waiting for one subscriber's connection. Past this the broker drops that subscriber's
 * new events (or disconnects it), so one stalled reader cannot make the broker hold unbounded memory.
 */
export const SUBSCRIBER_QUEUE_EVENTS = 1024;

/**
 * Tunable: encoded bytes waiting for one subscriber. 4 MiB is seconds of backlog at the overlay's
 * speeds; one event larger than this is still delivered when the queue is empty.
 */
export const SUBSCRIBER_QUEUE_BYTES = 4 * 1_048_576;

/**
 * Tunable: the decoder's first buffer for a payload. It grows by doubling as bytes arrive, so a peer
 * that declares 16 MiB and sends six bytes makes us reserve 64 KiB, not 16 MiB.
 */
export const INITIAL_PAYLOAD_BUFFER_BYTES = 65_536;
