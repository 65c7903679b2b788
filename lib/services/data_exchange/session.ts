/**
 * What the service does with the frames of one connection (services.md §4.2): store TEXT/BINARY/JSON in
 * the inbox and named FILE frames in the received folder, then answer each frame, in order, with one
 * TEXT frame `ACK <TYPE> <n> bytes` or `ERR <TYPE> save failed: <error>`. The reply is written only
 * after the save is durable, so an ACK means "on disk" (§4.7).
 *
 * Split files (file_parts.ts) are assembled here: parts append to one temp file, each part is fsynced
 * before its ACK, and the file gets its final name after the last part. Whatever is unfinished when the
 * connection ends is removed by {@linkcode DataExchangeSession.abort}.
 *
 * @module
 */

import { errorText, PilotError } from "../../errors.ts";
import type { Logger } from "../../log.ts";
import { FRAME_TYPES } from "./constants.ts";
import { encodeDataFrame, frameTypeName } from "./frame.ts";
import type { DataFrameEvent } from "./frame_parser.ts";
import { parsePartName } from "./file_parts.ts";
import type { FilePartName } from "./file_parts.ts";
import { saveInboxMessage } from "./inbox_store.ts";
import { IncomingFile } from "./received_store.ts";
import type { PeerInfo } from "./service_conn.ts";

/** Reported after each durable save, for webhooks (§8: `message.received`, `file.received`). */
export type StoredEvent =
  | { kind: "message"; from: PeerInfo; type: string; bytes: number; name: string; path: string }
  | { kind: "file"; from: PeerInfo; filename: string; bytes: number; name: string; path: string };

/** What a session needs from its service. */
export interface SessionContext {
  /** The pilot home holding `inbox/` and `received/`. */
  home: string;
  /** Where the session reports save failures. */
  logger: Logger;
  /** Clock for names and `received_at`. */
  now: () => Date;
  /** Called after each durable save. */
  onStored?: (event: StoredEvent) => void;
}

// The FILE frame being read: where its bytes go, and the first storage error, if any (the rest of the
// frame is then read and dropped, and the reply says why).
interface CurrentFile {
  name: string;
  size: number;
  target: "none" | "single" | "part";
  part: FilePartName | undefined;
  file: IncomingFile | undefined;
  error: string | undefined;
}

interface Assembly {
  name: string;
  total: number;
  next: number;
  file: IncomingFile;
}

const encoder = new TextEncoder();

/** Handles the frame events of one connection and writes the replies to `writer`. */
export class DataExchangeSession {
  readonly #context: SessionContext;
  readonly #peer: PeerInfo;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #current: CurrentFile | undefined;
  #assembly: Assembly | undefined;

  /** Serves one connection from `peer`, answering through `writer`. */
  constructor(context: SessionContext, peer: PeerInfo, writer: WritableStreamDefaultWriter<Uint8Array>) {
    this.#context = context;
    this.#peer = peer;
    this.#writer = writer;
  }

  /** Handles one event; rejects only when a reply cannot be written (the connection is then done). */
  async handle(event: DataFrameEvent): Promise<void> {
    switch (event.kind) {
      case "message":
        return await this.#onMessage(event.type, event.payload);
      case "file-start":
        return await this.#onFileStart(event.name, event.size);
      case "file-chunk":
        return await this.#onFileChunk(event.bytes);
      case "file-end":
        return await this.#onFileEnd();
      default: {
        const never: never = event;
        throw new Error(`unhandled event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Removes the temp file of an unfinished file or split file. Safe to call more than once. */
  async abort(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    await current?.file?.abort();
    await this.#dropAssembly();
  }

  async #onMessage(type: number, payload: Uint8Array): Promise<void> {
    const typeName = frameTypeName(type);
    if (type !== FRAME_TYPES.text && type !== FRAME_TYPES.binary && type !== FRAME_TYPES.json) {
      // Unknown types are acknowledged and not stored (§4.8).
      return await this.#reply(`ACK ${typeName} ${payload.byteLength} bytes`);
    }
    try {
      const stored = await saveInboxMessage(this.#context.home, {
        type,
        payload,
        from: this.#peer.address,
        receivedAt: this.#context.now(),
      });
      this.#report({
        kind: "message",
        from: this.#peer,
        type: typeName,
        bytes: payload.byteLength,
        ...stored,
      });
    } catch (err) {
      return await this.#saveFailed(typeName, err);
    }
    await this.#reply(`ACK ${typeName} ${payload.byteLength} bytes`);
  }

  async #onFileStart(name: string, size: number): Promise<void> {
    const current: CurrentFile = {
      name,
      size,
      target: "none",
      part: undefined,
      file: undefined,
      error: undefined,
    };
    this.#current = current;
    if (name === "") return; // not stored, still acknowledged (§4.2 step 2)
    const part = parsePartName(name);
    if (part === undefined) {
      current.target = "single";
      try {
        current.file = await IncomingFile.create(this.#context.home);
      } catch (err) {
        current.error = errorText(err);
      }
      return;
    }
    current.target = "part";
    current.part = part;
    if (part.index === 1) {
      await this.#dropAssembly(); // a new split file replaces one left unfinished on this connection
      try {
        this.#assembly = {
          name: part.name,
          total: part.total,
          next: 1,
          file: await IncomingFile.create(this.#context.home),
        };
      } catch (err) {
        current.error = errorText(err);
        return;
      }
    }
    const assembly = this.#assembly;
    if (
      assembly === undefined || assembly.name !== part.name || assembly.total !== part.total ||
      assembly.next !== part.index
    ) {
      current.error = `part ${part.index} of ${part.total} of ${JSON.stringify(part.name)} ` +
        "does not follow the parts before it";
      await this.#dropAssembly();
      return;
    }
    assembly.next++;
  }

  async #onFileChunk(bytes: Uint8Array): Promise<void> {
    const current = this.#current;
    if (current === undefined || current.error !== undefined || current.target === "none") return;
    const file = current.target === "single" ? current.file : this.#assembly?.file;
    if (file === undefined) return;
    try {
      await file.write(bytes);
    } catch (err) {
      current.error = errorText(err);
      if (current.target === "single") await file.abort();
      else await this.#dropAssembly();
    }
  }

  async #onFileEnd(): Promise<void> {
    const current = this.#current;
    this.#current = undefined;
    if (current === undefined) throw new Error("file end without a file start");
    if (current.error !== undefined) {
      await current.file?.abort();
      return await this.#reply(`ERR FILE save failed: ${current.error}`);
    }
    try {
      if (current.target === "single" && current.file !== undefined) {
        const stored = await current.file.commit(current.name, this.#context.now());
        this.#report({ kind: "file", from: this.#peer, filename: current.name, ...stored });
      } else if (current.target === "part" && current.part !== undefined) {
        await this.#finishPart(current.part);
      }
    } catch (err) {
      if (current.target === "part") await this.#dropAssembly();
      return await this.#saveFailed("FILE", err);
    }
    await this.#reply(`ACK FILE ${current.size} bytes`);
  }

  async #finishPart(part: FilePartName): Promise<void> {
    const assembly = this.#assembly;
    if (assembly === undefined) throw new Error("part without an assembly");
    if (part.index < part.total) return await assembly.file.sync(); // the ACK promises this part is durable
    this.#assembly = undefined;
    const stored = await assembly.file.commit(part.name, this.#context.now());
    this.#report({ kind: "file", from: this.#peer, filename: part.name, ...stored });
  }

  async #dropAssembly(): Promise<void> {
    const assembly = this.#assembly;
    this.#assembly = undefined;
    await assembly?.file.abort();
  }

  async #saveFailed(typeName: string, err: unknown): Promise<void> {
    this.#context.logger.warn("data exchange save failed", {
      type: typeName,
      from: this.#peer.address,
      code: err instanceof PilotError ? err.code : "internal",
      error: errorText(err),
    });
    await this.#reply(`ERR ${typeName} save failed: ${errorText(err)}`);
  }

  #report(event: StoredEvent): void {
    try {
      this.#context.onStored?.(event);
    } catch (err) {
      // A webhook hook must not take the connection down; the data is stored already.
      this.#context.logger.warn("data exchange stored-event hook failed", { error: errorText(err) });
    }
  }

  async #reply(text: string): Promise<void> {
    // One write of the whole frame. The reference writes prefix and payload separately, which on a
    // Nagle-style stream holds the payload back for up to a round trip; the bytes are the same.
    await this.#writer.write(encodeDataFrame({ type: FRAME_TYPES.text, payload: encoder.encode(text) }));
  }
}
