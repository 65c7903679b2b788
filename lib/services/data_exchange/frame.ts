/**
 * The data-exchange frame (services.md §4.1) as pure functions: the 8-byte prefix, whole frames, and the
 * FILE payload header. No I/O. The size limit is the reader's policy and lives in the stream decoder
 * (`frame_parser.ts`); these functions only refuse what cannot be encoded at all.
 *
 * @module
 */

import { PilotError } from "../../errors.ts";
import { FILE_NAME_LENGTH_SIZE, FRAME_PREFIX_SIZE, FRAME_TYPES, MAX_FILE_NAME_BYTES } from "./constants.ts";

/** The 8 bytes in front of every payload. */
export interface DataFramePrefix {
  /** Frame type id, any unsigned 32-bit value. */
  type: number;
  /** Payload length in bytes, excluding the prefix. */
  length: number;
}

/** A whole frame. */
export interface DataFrame {
  /** Frame type id, any unsigned 32-bit value. */
  type: number;
  /** Payload bytes (for FILE: name header and file data). */
  payload: Uint8Array;
}

/** A FILE payload split per §4.1 rule 4. */
export interface FilePayload {
  /** The name as sent, decoded as UTF-8 (invalid bytes become U+FFFD); `""` when the header is unusable. */
  name: string;
  /** File bytes: the rest of the payload, or the whole payload when the header is unusable. */
  data: Uint8Array;
}

const encoder = new TextEncoder();
const nameDecoder = new TextDecoder();

/**
 * The reference's `TypeName`: `TEXT`, `BINARY`, `JSON`, `FILE`, else `UNKNOWN(<decimal id>)`. It is part
 * of every ACK and of inbox file names.
 */
export function frameTypeName(type: number): string {
  switch (type) {
    case FRAME_TYPES.text:
      return "TEXT";
    case FRAME_TYPES.binary:
      return "BINARY";
    case FRAME_TYPES.json:
      return "JSON";
    case FRAME_TYPES.file:
      return "FILE";
    default:
      return `UNKNOWN(${type})`;
  }
}

function checkU32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xFFFF_FFFF) {
    throw new PilotError("frame_bad_value", `${what} ${value} is not an unsigned 32-bit integer`);
  }
}

/** Writes the prefix into `out` (8 bytes; a shorter view throws). */
export function encodeDataFramePrefix(
  prefix: DataFramePrefix,
  out: Uint8Array = new Uint8Array(FRAME_PREFIX_SIZE),
): Uint8Array {
  checkU32(prefix.type, "frame type");
  checkU32(prefix.length, "frame length");
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(0, prefix.type);
  view.setUint32(4, prefix.length);
  return out;
}

/**
 * Reads `{ type, length }` from the first 8 bytes. Accepts any length: the reader decides its limit.
 *
 * @throws {PilotError} `frame_truncated` when fewer than 8 bytes are given.
 */
export function decodeDataFramePrefix(bytes: Uint8Array): DataFramePrefix {
  if (bytes.byteLength < FRAME_PREFIX_SIZE) {
    throw new PilotError(
      "frame_truncated",
      `data-exchange frame prefix needs ${FRAME_PREFIX_SIZE} bytes, got ${bytes.byteLength}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_PREFIX_SIZE);
  return { type: view.getUint32(0), length: view.getUint32(4) };
}

/**
 * Encodes a whole frame: prefix then payload.
 *
 * @example
 * ```ts
 * import { encodeDataFrame } from "./frame.ts";
 * const bytes = encodeDataFrame({ type: 1, payload: new TextEncoder().encode("hello") });
 * if (bytes.toHex() !== "000000010000000568656c6c6f") throw new Error("services.md §13.1");
 * ```
 */
export function encodeDataFrame(frame: DataFrame): Uint8Array {
  const out = new Uint8Array(FRAME_PREFIX_SIZE + frame.payload.byteLength);
  encodeDataFramePrefix({ type: frame.type, length: frame.payload.byteLength }, out);
  out.set(frame.payload, FRAME_PREFIX_SIZE);
  return out;
}

/**
 * Decodes exactly one whole frame (no limit check, no trailing bytes allowed).
 *
 * @throws {PilotError} `frame_truncated` when shorter than its declared length, `frame_trailing_bytes`
 * when longer.
 */
export function decodeDataFrame(bytes: Uint8Array): DataFrame {
  const { type, length } = decodeDataFramePrefix(bytes);
  const have = bytes.byteLength - FRAME_PREFIX_SIZE;
  if (have < length) {
    throw new PilotError("frame_truncated", `data-exchange frame declares ${length} bytes, has ${have}`);
  }
  if (have > length) {
    throw new PilotError("frame_trailing_bytes", `${have - length} bytes after a ${length}-byte frame`);
  }
  return { type, payload: bytes.subarray(FRAME_PREFIX_SIZE) };
}

/** UTF-8 bytes of a file name, refused when `name_len` cannot hold them. */
export function encodeFileName(name: string): Uint8Array {
  const bytes = encoder.encode(name);
  if (bytes.byteLength > MAX_FILE_NAME_BYTES) {
    // The reference stores the length mod 65536 and so sends a frame no receiver can split (§4.1).
    throw new PilotError(
      "invalid_argument",
      `file name is ${bytes.byteLength} bytes, the limit is ${MAX_FILE_NAME_BYTES}`,
      { hint: "rename the file to a shorter name" },
    );
  }
  return bytes;
}

/** The `name_len | name` header that opens a FILE payload. */
export function encodeFileHeader(name: string): Uint8Array {
  const nameBytes = encodeFileName(name);
  const out = new Uint8Array(FILE_NAME_LENGTH_SIZE + nameBytes.byteLength);
  new DataView(out.buffer).setUint16(0, nameBytes.byteLength);
  out.set(nameBytes, FILE_NAME_LENGTH_SIZE);
  return out;
}

/**
 * Encodes a whole FILE frame (services.md §13.3).
 *
 * @example
 * ```ts
 * import { encodeFileFrame } from "./frame.ts";
 * const bytes = encodeFileFrame("report.md", new TextEncoder().encode("hello"));
 * if (bytes.toHex() !== "00000004000000100009" + "7265706f72742e6d64" + "68656c6c6f") throw new Error("§13.3");
 * ```
 */
export function encodeFileFrame(name: string, data: Uint8Array): Uint8Array {
  const header = encodeFileHeader(name);
  const payload = new Uint8Array(header.byteLength + data.byteLength);
  payload.set(header);
  payload.set(data, header.byteLength);
  return encodeDataFrame({ type: FRAME_TYPES.file, payload });
}

/**
 * Splits a FILE payload per §4.1 rule 4. Never throws: a payload under 2 bytes, or a `name_len` that
 * runs past the end, gives an empty name and the whole payload as data, as the reference keeps it.
 */
export function parseFilePayload(payload: Uint8Array): FilePayload {
  if (payload.byteLength < FILE_NAME_LENGTH_SIZE) return { name: "", data: payload };
  const nameLength = (payload[0] ?? 0) << 8 | (payload[1] ?? 0);
  const end = FILE_NAME_LENGTH_SIZE + nameLength;
  if (end > payload.byteLength) return { name: "", data: payload };
  return { name: decodeFileName(payload.subarray(FILE_NAME_LENGTH_SIZE, end)), data: payload.subarray(end) };
}

/** Name bytes to text. Deno paths are strings, so invalid UTF-8 cannot survive as raw bytes anyway. */
export function decodeFileName(bytes: Uint8Array): string {
  return nameDecoder.decode(bytes);
}
