/**
 * The IPC traffic captured from reference nodes (shared/vectors/ipc.json), as the CLI tests look it up:
 * every captured message of the vector file's runs, the JSON of a reply by a marker in its note, and the
 * body of a request pilotctl sent.
 *
 * @module
 */

import assert from "node:assert/strict";

/** One captured IPC message. */
export interface IpcCapture {
  direction: string;
  hex: string;
  note: string;
  json?: unknown;
}

const vectors = JSON.parse(
  await Deno.readTextFile(new URL("../../../shared/vectors/ipc.json", import.meta.url)),
);

/** Every captured message, in file order. */
export const IPC_CAPTURES: readonly IpcCapture[] = [
  ...vectors.messages,
  ...vectors.public_nodes_run.messages_A,
  ...vectors.public_nodes_run.messages_B,
];

/** The JSON of the `nth` captured message with JSON whose note contains `marker`. */
export function capturedJson(marker: string, nth = 0): unknown {
  const found = IPC_CAPTURES.filter((m) => m.note.includes(marker) && m.json !== undefined);
  assert.ok(found.length > nth, `no captured reply with ${marker} (#${nth})`);
  return found[nth].json;
}

/** The body (after the 4-byte length) of the first captured request whose note contains `marker`. */
export function capturedRequest(marker: string): string {
  const found = IPC_CAPTURES.find((m) => m.direction.startsWith("pilotctl->") && m.note.includes(marker));
  assert.ok(found !== undefined, marker);
  return found.hex.slice(8);
}
