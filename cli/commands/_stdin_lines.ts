/**
 * `connect`'s pipe mode input (cli.md §10.1 step 6): stdin read line by line the way the reference's
 * line scanner does, then joined with `\n`. A `\r` before each `\n` is dropped, the final newline
 * vanishes, leading empty lines vanish, and a line longer than the scanner's 64 KiB buffer silently
 * ends the input there.
 *
 * @module
 */

import { PilotError } from "../../lib/errors.ts";

/** The scanner's buffer: a line (without its `\n`) must fit in 65,535 bytes. */
export const MAX_LINE_BYTES = 65_535;
/** Our own bound on the whole input, so a runaway pipe cannot exhaust memory. */
export const MAX_STDIN_BYTES = 64 * 1024 * 1024;

const NEWLINE = new Uint8Array([0x0a]);

/** Reads `source` to its end (or to the first over-long line) and returns the joined lines. */
export async function readStdinLines(source: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const out = new ByteBuilder();
  let line = new ByteBuilder();
  const flushLine = () => {
    let bytes = line.bytes();
    if (bytes.byteLength > 0 && bytes[bytes.byteLength - 1] === 0x0d) bytes = bytes.subarray(0, -1);
    // A `\n` goes in front only when something is already there, so leading empty lines vanish.
    if (out.length > 0) out.push(NEWLINE);
    out.push(bytes);
    line = new ByteBuilder();
  };
  const reader = source.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      const chunk = next.value;
      let start = 0;
      for (let i = 0; i < chunk.byteLength; i++) {
        if (chunk[i] !== 0x0a) continue;
        line.push(chunk.subarray(start, i));
        if (line.length > MAX_LINE_BYTES + 1) return out.bytes(); // +1: a `\r` that gets dropped
        flushLine();
        start = i + 1;
      }
      line.push(chunk.subarray(start));
      if (line.length > MAX_LINE_BYTES + 1) return out.bytes();
      if (out.length + line.length > MAX_STDIN_BYTES) {
        throw new PilotError("invalid_argument", `stdin holds more than ${MAX_STDIN_BYTES} bytes`, {
          hint: "send large data with pilotctl send-file",
        });
      }
    }
    if (line.length > 0) flushLine();
    return out.bytes();
  } finally {
    await reader.cancel().catch(() => {/* stdin already ended */});
  }
}

/** Appends byte chunks and joins them once. */
class ByteBuilder {
  #parts: Uint8Array[] = [];
  length = 0;

  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#parts.push(bytes.slice());
    this.length += bytes.byteLength;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.byteLength;
    }
    this.#parts = [out];
    return out;
  }
}
