/**
 * Byte and stream helpers we would otherwise take from @std (no registry here): joining chunks, and
 * web streams over a connection.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./mod.ts";
 * if (concatBytes([Uint8Array.of(1), Uint8Array.of(2)]).byteLength !== 2) throw new Error("both bytes");
 * ```
 *
 * @module
 */

export { concatBytes } from "./concat_bytes.ts";
export {
  type ChunkSender,
  type ConnWriter,
  pipelinedWritable,
  readableFromChunks,
  writableFromWriter,
} from "./conn_streams.ts";
