/**
 * The inbox (`<home>/inbox/`, services.md §4.3, §4.6): one JSON file per TEXT, BINARY or JSON message,
 * named and formatted as the reference writes them, so either implementation's `pilotctl inbox` reads
 * the other's. The listing and `--clear` behind `pilotctl inbox` (cli.md §15.2) live here too.
 *
 * Deviations from the reference, each a bug we do not copy:
 * - Atomic and durable: a message is written to a temp file, fsynced, and linked under its final name
 *   (lib/fs/atomic_file.ts `writeFileUnderFreeName`, which writes once however many names are taken);
 *   a reader never sees half a message, and the ACK is sent only after this returns.
 * - Never overwritten: when the reference's name is taken (two messages of one type in the same
 *   millisecond, or several daemons sharing a home), `_001`, `_002`, ... go before `.json`.
 * - Lossless: when the payload is not valid UTF-8, the record also carries `data_base64` with the exact
 *   bytes. `data` keeps the reference's lossy text, so previews and other readers are unchanged, and
 *   records of valid UTF-8 payloads are byte for byte the reference's.
 *
 * @module
 */

import { errorText, PilotError } from "../../errors.ts";
import { writeFileUnderFreeName } from "../../fs/atomic_file.ts";
import { FILE_MODE } from "./constants.ts";
import { frameTypeName } from "./frame.ts";
import { formatGoJsonString } from "../../json/go_json.ts";
import { formatLocalRfc3339, formatNameStamp } from "./_time.ts";
import {
  ensureDir,
  isTempName,
  NAME_ATTEMPTS,
  readNames,
  removeAll,
  storedName,
  takenName,
} from "./_store_dir.ts";
import type { SkippedEntry } from "./_store_dir.ts";

/** A message to store. */
export interface InboxMessageInput {
  /** Frame type id: 1, 2 or 3. */
  type: number;
  /** Message bytes as received. */
  payload: Uint8Array;
  /** Sender's address, `N:XXXX.XXXX.XXXX`. */
  from: string;
  /** Arrival time; names and `received_at` use its local-time rendering. */
  receivedAt: Date;
}

/** Where a message was stored. */
export interface StoredMessage {
  /** File name inside the inbox folder. */
  name: string;
  /** Full path of the stored file. */
  path: string;
}

/** One listed message. */
export interface InboxMessage {
  /** File name inside the inbox folder. */
  file: string;
  /** The object as parsed, for `--json` output, which passes it through (cli.md §15.2). */
  record: Record<string, unknown>;
  /** Fields for the text view; a missing or non-string field is `""` there, as in the reference. */
  type: string;
  /** Sender's address. */
  from: string;
  /** `received_at` as stored. */
  receivedAt: string;
  /** Message text as stored (lossy for non-UTF-8 payloads). */
  data: string;
  /** `bytes` when it is a number. */
  bytes: number | undefined;
}

/** What `pilotctl inbox` shows. */
export interface InboxListing {
  /** The folder; `undefined` when it does not exist (the JSON output then has no `dir`). */
  dir: string | undefined;
  /** In file-name order. When `dir` is set and this is empty, the reference prints `"messages":null`. */
  messages: InboxMessage[];
  /** Number of listed messages. */
  total: number;
  /** Entries left out: unfinished writes, unreadable or unparsable files, non-objects. */
  skipped: SkippedEntry[];
}

const INBOX_TYPES: ReadonlySet<number> = new Set([1, 2, 3]);
// A record of a 16 MiB payload is at most ~6 × 16 MiB (every byte escaped) plus its base64; larger
// files are not ours, and reading them whole could exhaust memory.
const MAX_RECORD_BYTES = 128 * 1024 * 1024;

/** `<home>/inbox`. */
export function inboxDir(home: string): string {
  return `${home}/inbox`;
}

/**
 * The file content for a message: compact JSON, keys sorted, no trailing newline (§4.3).
 *
 * @example
 * ```ts
 * import { formatInboxRecord } from "./inbox_store.ts";
 * const at = new Date(2026, 10, 24, 18, 33, 2);
 * const text = formatInboxRecord({ type: 1, payload: new TextEncoder().encode("hi"), from: "0:0000.0000.0002", receivedAt: at });
 * if (!text.startsWith('{"bytes":2,"data":"hi","from":"0:0000.0000.0002","received_at":"2026-11-24T18:33:02')) throw new Error();
 * ```
 */
export function formatInboxRecord(message: InboxMessageInput): string {
  const data = formatGoJsonString(message.payload);
  const exact = data.isLossless ? "" : `,"data_base64":${JSON.stringify(message.payload.toBase64())}`;
  return `{"bytes":${message.payload.byteLength},"data":${data.json}${exact},` +
    `"from":${JSON.stringify(message.from)},"received_at":${
      JSON.stringify(formatLocalRfc3339(message.receivedAt))
    },` +
    `"type":${JSON.stringify(frameTypeName(message.type))}}`;
}

/**
 * Stores a message durably under a name no earlier message has.
 *
 * @throws {PilotError} `invalid_argument` for a type other than 1, 2, 3; `store_write_failed` or
 * `store_name_exhausted` when it cannot be written (the ACK then reports `save failed`).
 */
export async function saveInboxMessage(home: string, message: InboxMessageInput): Promise<StoredMessage> {
  if (!INBOX_TYPES.has(message.type)) {
    throw new PilotError("invalid_argument", `frame type ${message.type} is not stored in the inbox`);
  }
  const dir = inboxDir(home);
  await ensureDir(dir);
  const content = formatInboxRecord(message);
  const stamp = formatNameStamp(message.receivedAt);
  const typeName = frameTypeName(message.type);
  const nameAt = (attempt: number) => storedName(typeName, stamp, ".json", attempt);
  const pathAt = (attempt: number) => `${dir}/${nameAt(attempt)}`;
  const taken = await writeFileUnderFreeName(pathAt, NAME_ATTEMPTS, content, { mode: FILE_MODE });
  const name = takenName(dir, taken, nameAt);
  return { name, path: `${dir}/${name}` };
}

/** The exact payload of a listed record: `data_base64` when present, else the UTF-8 of `data`. */
export function inboxPayload(record: Record<string, unknown>): Uint8Array {
  const exact = record["data_base64"];
  if (typeof exact === "string") {
    try {
      return Uint8Array.fromBase64(exact);
    } catch {
      // A foreign or damaged field: fall back to the text, which is what the reference would show.
    }
  }
  const data = record["data"];
  return new TextEncoder().encode(typeof data === "string" ? data : "");
}

/** The text view's preview: the first 80 bytes of `data`, then `...` when longer (cli.md §15.2). */
export function formatInboxPreview(data: string): string {
  const bytes = new TextEncoder().encode(data);
  if (bytes.byteLength <= 80) return data;
  return `${new TextDecoder().decode(bytes.subarray(0, 80))}...`;
}

/**
 * Lists the inbox. Never throws for a file's content: foreign and damaged files are skipped with a
 * reason.
 *
 * @throws {PilotError} `internal` when the folder exists but cannot be read.
 */
export async function listInbox(home: string): Promise<InboxListing> {
  const dir = inboxDir(home);
  const names = await readNames(dir);
  if (names === undefined) return { dir: undefined, messages: [], total: 0, skipped: [] };
  const messages: InboxMessage[] = [];
  const skipped: SkippedEntry[] = [];
  for (const file of names) {
    if (isTempName(file)) {
      skipped.push({ name: file, reason: "unfinished write" });
      continue;
    }
    const parsed = await readRecord(`${dir}/${file}`);
    if (typeof parsed === "string") {
      skipped.push({ name: file, reason: parsed });
      continue;
    }
    const text = (key: string) => {
      const value = parsed[key];
      return typeof value === "string" ? value : "";
    };
    const bytes = parsed["bytes"];
    messages.push({
      file,
      record: parsed,
      type: text("type"),
      from: text("from"),
      receivedAt: text("received_at"),
      data: text("data"),
      bytes: typeof bytes === "number" ? bytes : undefined,
    });
  }
  return { dir, messages, total: messages.length, skipped };
}

/**
 * Deletes every stored message (`pilotctl inbox --clear`). Deletion errors are ignored and counted, as
 * in the reference; temp files of writes in progress are left to the service.
 *
 * @throws {PilotError} `not_found` "inbox is empty" when the folder is missing (the reference's quirk);
 * `internal` when it cannot be read.
 */
export async function clearInbox(home: string): Promise<{ cleared: number }> {
  const dir = inboxDir(home);
  const names = await readNames(dir);
  if (names === undefined) throw new PilotError("not_found", "inbox is empty");
  return { cleared: await removeAll(dir, names) };
}

async function readRecord(path: string): Promise<Record<string, unknown> | string> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return "not a regular file";
    if (info.size > MAX_RECORD_BYTES) return `larger than ${MAX_RECORD_BYTES} bytes`;
    text = await Deno.readTextFile(path);
  } catch (err) {
    return `unreadable: ${errorText(err)}`;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${errorText(err)}`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "not a JSON object";
  const record: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) record[key] = item;
  return record;
}
