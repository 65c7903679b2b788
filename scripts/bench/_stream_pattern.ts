/**
 * The bytes each stream of `many_streams.ts` carries, shared by its sender and by the sink process
 * (`_stream_sink.ts`), so a receiver can prove a stream arrived byte-exact without a copy of it.
 *
 * A stream opens with its index (u32, big-endian), so the sink learns which stream a connection is;
 * every later byte depends on both its offset and the stream's index, so a reordered, shifted,
 * duplicated or crossed-over segment cannot pass. The offset part is one table shared by all streams
 * and the index part a 4-byte key, which lets the sender fill a chunk a 32-bit word at a time.
 *
 * @module
 */

/** Bytes of the stream index at the start of every stream. */
export const STREAM_HEADER_BYTES = 4;

/** The byte layout of every stream of one run, all `bytes` long. */
export class StreamPattern {
  readonly bytes: number;
  readonly #table: Uint8Array;
  readonly #words: Uint32Array;

  constructor(bytes: number) {
    if (!Number.isSafeInteger(bytes) || bytes < STREAM_HEADER_BYTES) {
      throw new Error(`a stream needs at least ${STREAM_HEADER_BYTES} bytes for its index, got ${bytes}`);
    }
    this.bytes = bytes;
    // Rounded up to whole words, so the word-wise fill never reads past the end.
    this.#words = new Uint32Array(Math.ceil(bytes / 4));
    this.#table = new Uint8Array(this.#words.buffer);
    for (let i = 0; i < this.#table.byteLength; i++) this.#table[i] = Math.imul(i, 0x9e3779b1) >>> 24;
  }

  /** Fills `out` with the bytes of stream `index` from `offset` on (both multiples of 4 for speed). */
  fill(index: number, offset: number, out: Uint8Array): void {
    const key = streamKey(index);
    if (offset % 4 === 0 && out.byteOffset % 4 === 0 && out.byteLength % 4 === 0) {
      const words = new Uint32Array(out.buffer, out.byteOffset, out.byteLength / 4);
      const first = offset / 4;
      for (let w = 0; w < words.length; w++) words[w] = this.#words[first + w] ^ key.word;
    } else {
      for (let i = 0; i < out.byteLength; i++) {
        out[i] = this.#table[offset + i] ^ key.bytes[(offset + i) & 3];
      }
    }
    for (let i = offset; i < STREAM_HEADER_BYTES && i - offset < out.byteLength; i++) {
      out[i - offset] = (index >>> (8 * (STREAM_HEADER_BYTES - 1 - i))) & 0xff;
    }
  }

  /** A checker for one received stream. */
  checker(): StreamChecker {
    return new StreamChecker(this.#table, this.bytes);
  }
}

/** What a received stream turned out to be. */
export interface StreamVerdict {
  /** The index from the stream's header, or -1 when the stream ended before it. */
  index: number;
  received: number;
  /** Empty when the stream is byte-exact; else what was wrong with it. */
  fault: string;
}

/** Checks one received stream chunk by chunk; {@linkcode finish} at its end gives the verdict. */
export class StreamChecker {
  readonly #table: Uint8Array;
  readonly #expected: number;
  #received = 0;
  #index = 0;
  #key: StreamKey | undefined;
  #fault = "";

  constructor(table: Uint8Array, expected: number) {
    this.#table = table;
    this.#expected = expected;
  }

  /** Bytes taken so far. */
  get received(): number {
    return this.#received;
  }

  /** Takes the next received chunk. */
  feed(chunk: Uint8Array): void {
    let i = 0;
    for (; i < chunk.byteLength && this.#received + i < STREAM_HEADER_BYTES; i++) {
      this.#index = this.#index * 256 + chunk[i];
    }
    const start = this.#received;
    this.#received += chunk.byteLength;
    if (this.#fault !== "" || i === chunk.byteLength) return;
    const key = this.#key ??= streamKey(this.#index);
    if (this.#received > this.#expected) {
      this.#fault = `more than ${this.#expected} bytes`;
      return;
    }
    const end = chunk.byteLength;
    // Bytes up to a word boundary of the stream; then whole words when the chunk's memory is aligned
    // the same way (as reads into a fresh buffer mostly are), which checks about four times faster.
    const head = Math.min(end, i + ((4 - ((start + i) & 3)) & 3));
    if (!this.#checkBytes(chunk, key, start, i, head)) return;
    i = head;
    if ((chunk.byteOffset + i) % 4 === 0) {
      const words = Math.floor((end - i) / 4);
      const got = new Uint32Array(chunk.buffer, chunk.byteOffset + i, words);
      const want = new Uint32Array(this.#table.buffer, start + i, words);
      const keyWord = key.word;
      for (let w = 0; w < words; w++) {
        if (got[w] !== ((want[w] ^ keyWord) >>> 0)) {
          this.#checkBytes(chunk, key, start, i + 4 * w, i + 4 * w + 4); // names the byte
          return;
        }
      }
      i += 4 * words;
    }
    this.#checkBytes(chunk, key, start, i, end);
  }

  /** Checks `chunk[from..to)`, which sits at stream offset `start + from`; false at the first fault. */
  #checkBytes(chunk: Uint8Array, key: StreamKey, start: number, from: number, to: number): boolean {
    const table = this.#table;
    const keyBytes = key.bytes;
    for (let i = from; i < to; i++) {
      const offset = start + i;
      if (chunk[i] !== (table[offset] ^ keyBytes[offset & 3])) {
        this.#fault = `wrong byte at offset ${offset}`;
        return false;
      }
    }
    return true;
  }

  /** The verdict once the stream has ended. */
  finish(): StreamVerdict {
    const index = this.#received >= STREAM_HEADER_BYTES ? this.#index : -1;
    let fault = this.#fault;
    if (fault === "" && this.#received < this.#expected) {
      fault = `short stream: ${this.#received} of ${this.#expected} bytes`;
    }
    return { index, received: this.#received, fault };
  }
}

interface StreamKey {
  word: number;
  bytes: Uint8Array;
}

function streamKey(index: number): StreamKey {
  const word = (Math.imul(index + 1, 0x85ebca6b) ^ 0xc2b2ae35) >>> 0;
  // Byte order of the platform's words, as the word-wise fill applies them.
  return { word, bytes: new Uint8Array(Uint32Array.of(word).buffer) };
}
