/**
 * Plain stdout/stderr writers for the developer scripts (CI, benchmarks, launcher), which are not part of
 * the product and so do not go through `cli/render.ts`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes one line to stdout. */
export function printLine(line: string): void {
  writeAll(Deno.stdout, encoder.encode(line + "\n"));
}

/** Writes one line to stderr. */
export function printError(line: string): void {
  writeAll(Deno.stderr, encoder.encode(line + "\n"));
}

/** Writes raw bytes to stdout. */
export function writeStdout(bytes: Uint8Array): void {
  writeAll(Deno.stdout, bytes);
}

function writeAll(target: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.byteLength;) offset += target.writeSync(bytes.subarray(offset));
}
