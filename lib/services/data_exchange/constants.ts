/**
 * Values of the data-exchange service: the spec's (services.md §1, §4, §12) first, then our tunables.
 *
 * @module
 */

/** Port of the data-exchange service (services.md §1). */
export const DATA_EXCHANGE_PORT = 1001;

/** Size of the `type u32 BE | length u32 BE` prefix of every frame (§4.1). */
export const FRAME_PREFIX_SIZE = 8;

/** Largest payload a reader accepts, inclusive (§4.1 rule 2, §12: 2^24 bytes). */
export const MAX_FRAME_PAYLOAD = 16_777_216;

/** Size of the `name_len u16 BE` field that opens a FILE payload (§4.1). */
export const FILE_NAME_LENGTH_SIZE = 2;

/** Longest file name a FILE header can describe: `name_len` is 16 bits (§4.1). */
export const MAX_FILE_NAME_BYTES = 0xFFFF;

/** Frame type ids (§4.1); other ids are legal on the wire and named `UNKNOWN(<id>)`. */
export const FRAME_TYPES = {
  text: 1,
  binary: 2,
  json: 3,
  file: 4,
} as const;

/** One of the known frame type ids. */
export type KnownFrameType = typeof FRAME_TYPES[keyof typeof FRAME_TYPES];

/** Mode of `inbox/` and `received/` when we create them (§4.3, §4.4, §12). */
export const DIR_MODE = 0o700;

/** Mode of every stored message and file (§4.3, §4.4, §12). */
export const FILE_MODE = 0o600;

// --- Tunables (ours, not the reference's) ---

/**
 * File data per frame when a file does not fit one frame. A decimal 16 MB (the product page's figure)
 * leaves room for the longest name header (2 + 65,535 bytes) under the 16 MiB reader limit, so every
 * part is a frame any reference receiver accepts.
 */
export const FILE_PART_BYTES = 16_000_000;

/**
 * Collision suffixes tried after the reference's own name (`_001` .. `_999`). Beyond that many stores
 * within one millisecond something is wrong; the store fails with an error instead of looping.
 */
export const MAX_NAME_SUFFIX = 999;

/**
 * A temp file untouched for this long is left over from a crash and removed at service start. A live
 * transfer of another daemon sharing the home writes continuously, so its temp file stays younger.
 */
export const STALE_TEMP_AGE_MS = 10 * 60_000;
