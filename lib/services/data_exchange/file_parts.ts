/**
 * Files larger than one frame. The reference reader refuses a payload over 16 MiB (services.md §4.1
 * rule 2) and its writer never splits, so a reference `send-file` cannot move more (in practice its IPC
 * path stops it at 1 MiB, §4.5). We send such a file as several ordinary FILE frames on one connection,
 * each named `<name>.pilot-part-<i>-of-<n>` (numbers zero-padded to one width, at least 4 digits):
 *
 * - A reference receiver stores each part as a file `<name>-<stamp>.pilot-part-<i>-of-<n>`; stamps grow,
 *   so `cat <name>-*.pilot-part-*-of-<n>` in name order rebuilds the file. Nothing is refused or lost.
 * - Our receiver appends the parts to one temp file and gives it the plain name `<name>-<stamp><ext>`
 *   only after part n, so the result is one file, as if it had come in one frame.
 *
 * A file that fits one frame is always sent as one frame, byte for byte as the reference sends it.
 * The suffix is reserved: a lone frame named like part 1 of n is never stored on its own.
 *
 * @module
 */

import { FILE_NAME_LENGTH_SIZE, FILE_PART_BYTES, MAX_FRAME_PAYLOAD } from "./constants.ts";
import { encodeFileName } from "./frame.ts";

/** A part's place in a split file. */
export interface FilePartName {
  /** The file's own name. */
  name: string;
  /** 1-based. */
  index: number;
  /** Number of parts. */
  total: number;
}

/** One frame of a send: its name, and which bytes of the file it carries. */
export interface FilePart {
  /** Name sent in this frame's FILE header. */
  name: string;
  /** Offset of this frame's data in the file. */
  offset: number;
  /** File bytes in this frame. */
  size: number;
}

const PART_NAME = /^(.*)\.pilot-part-(\d+)-of-(\d+)$/s;

/** `report.pdf.pilot-part-0002-of-0005`. */
export function formatPartName(part: FilePartName): string {
  const width = Math.max(4, String(part.total).length);
  const digits = (value: number) => String(value).padStart(width, "0");
  return `${part.name}.pilot-part-${digits(part.index)}-of-${digits(part.total)}`;
}

/**
 * Recognises a part name. Only the exact form {@linkcode formatPartName} writes counts (1 ≤ i ≤ n,
 * n ≥ 2, canonical padding), so ordinary names that merely look similar stay ordinary.
 */
export function parsePartName(sent: string): FilePartName | undefined {
  const match = PART_NAME.exec(sent);
  if (match === null) return undefined;
  const [, name = "", index = "", total = ""] = match;
  const part = { name, index: Number(index), total: Number(total) };
  if (name === "" || part.total < 2 || part.index < 1 || part.index > part.total) return undefined;
  if (!Number.isSafeInteger(part.total) || formatPartName(part) !== sent) return undefined;
  return part;
}

/**
 * How a file of `size` bytes named `name` goes out: one frame when it fits, else parts of `partBytes`
 * (default {@linkcode FILE_PART_BYTES}).
 *
 * @throws {PilotError} `invalid_argument` when a name is too long for the 16-bit name field.
 */
export function planFileParts(name: string, size: number, partBytes: number = FILE_PART_BYTES): FilePart[] {
  const nameBytes = encodeFileName(name).byteLength;
  if (FILE_NAME_LENGTH_SIZE + nameBytes + size <= MAX_FRAME_PAYLOAD) return [{ name, offset: 0, size }];
  const total = Math.ceil(size / partBytes);
  const parts: FilePart[] = [];
  for (let index = 1; index <= total; index++) {
    const partName = formatPartName({ name, index, total });
    const partSize = Math.min(partBytes, size - (index - 1) * partBytes);
    if (FILE_NAME_LENGTH_SIZE + encodeFileName(partName).byteLength + partSize > MAX_FRAME_PAYLOAD) {
      throw new Error(`part size ${partBytes} leaves no room for the name ${partName}`);
    }
    parts.push({ name: partName, offset: (index - 1) * partBytes, size: partSize });
  }
  return parts;
}
