/**
 * The daemon's registry client (control.md §4.1–§4.3): one TCP connection, one request in flight (calls
 * queue in order), reconnect with back-off when the socket fails and one re-send of the same request, and
 * every `"error"` reply surfaced as `PilotError("registry_error", "registry: <error>")`. Typed calls for
 * the daemon live in `client_calls.ts`; the heartbeat loop in `heartbeat.ts`.
 *
 * @module
 */

import { errorText, PilotError } from "../errors.ts";
import { splitHostPort } from "../flags/host_port.ts";
import { readableOf } from "./_conn.ts";
import { type Logger, NULL_LOGGER } from "../log.ts";
import {
  CLIENT_BACKOFF_INITIAL_MS,
  CLIENT_BACKOFF_MAX_MS,
  CLIENT_DIAL_TIMEOUT_MS,
  CLIENT_RECONNECT_ATTEMPTS,
  MAX_FRAME_BODY,
} from "./constants.ts";
import {
  encodeRegistryFrame,
  parseRegistryMessage,
  RegistryFrameDecoderStream,
  type RegistryMessage,
  type RegistryObject,
} from "./messages.ts";

/** Options of {@linkcode RegistryClient.connect}. */
export interface RegistryClientOptions {
  /** Registry `host:port` (`[v6]:port` for IPv6). */
  address: string;
  /** Signs a challenge with the node identity (base64 signature); without it requests go unsigned. */
  sign?: (challenge: string) => Promise<string>;
  logger?: Logger;
  /** §4.2 defaults: 5 attempts, 5 s dial timeout, back-off 0.5 s doubling to 10 s. */
  reconnectAttempts?: number;
  dialTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/** Options of one request. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** Our addition (§4.1 has none): give up after this long; the connection is then dropped and redialled. */
  timeoutMs?: number;
}

interface Link {
  conn: Deno.TcpConn;
  reader: ReadableStreamDefaultReader<Uint8Array>;
}

/** Splits `host:port` for `Deno.connect`; an empty host is this machine. */
export function parseHostPort(address: string): { hostname: string; port: number } {
  const { host, port } = splitHostPort(address);
  return { hostname: host === "" ? "127.0.0.1" : host, port };
}

/**
 * A connection to one registry.
 *
 * @example
 * ```ts ignore
 * await using client = await RegistryClient.connect({ address: "127.0.0.1:9000" });
 * const reply = await client.request({ type: "lookup", node_id: 1 });
 * ```
 */
export class RegistryClient implements AsyncDisposable {
  readonly address: string;
  readonly #options: RegistryClientOptions;
  readonly #log: Logger;
  readonly #closed = new AbortController();
  #link: Link | undefined;
  #tail: Promise<void> = Promise.resolve();

  private constructor(options: RegistryClientOptions, link: Link) {
    this.address = options.address;
    this.#options = options;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#link = link;
  }

  /** Dials the registry once, without a timeout (§4.1); failure is `connection_failed`. */
  static async connect(options: RegistryClientOptions): Promise<RegistryClient> {
    const target = parseHostPort(options.address);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ ...target, transport: "tcp" });
    } catch (err) {
      throw new PilotError("connection_failed", `dial registry: ${errorText(err)}`, {
        hint: `check that the registry is running at ${options.address}`,
        cause: err,
      });
    }
    return new RegistryClient(options, openLink(conn));
  }

  /** Signs `challenge` with the configured identity, or `undefined` without one. */
  async sign(challenge: string): Promise<string | undefined> {
    return this.#options.sign === undefined ? undefined : await this.#options.sign(challenge);
  }

  /**
   * Sends one request and returns its reply; requests are answered in call order. An `"error"` reply
   * rejects with `registry_error`; a dead socket triggers §4.2's reconnect and one re-send.
   */
  request(message: RegistryObject, options: RequestOptions = {}): Promise<RegistryMessage> {
    const run = this.#tail.then(() => this.#send(message, options));
    this.#tail = run.then(() => {}, () => {});
    return run;
  }

  async #send(message: RegistryObject, options: RequestOptions): Promise<RegistryMessage> {
    if (this.#closed.signal.aborted) throw new PilotError("registry_closed", "registry client is closed");
    const frame = encodeRegistryFrame(message);
    const signals = [this.#closed.signal];
    if (options.signal !== undefined) signals.push(options.signal);
    if (options.timeoutMs !== undefined) signals.push(AbortSignal.timeout(options.timeoutMs));
    const signal = AbortSignal.any(signals);
    let reply: RegistryMessage;
    try {
      const link = this.#link ?? await this.#reconnect(signal, undefined);
      try {
        reply = await exchange(link, frame, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        // §4.2: the socket failed with no reply; redial and send the same request once more.
        this.#drop();
        reply = await exchange(await this.#reconnect(signal, err), frame, signal);
      }
    } catch (err) {
      if (signal.aborted) {
        this.#drop(); // a reply may still be on its way: it must not answer the next request
        if (options.signal?.aborted) throw options.signal.reason;
        if (this.#closed.signal.aborted) throw new PilotError("registry_closed", "registry client is closed");
        throw new PilotError("timeout", `registry: no reply within ${options.timeoutMs} ms`, { cause: err });
      }
      throw err;
    }
    const error = reply.error;
    if (typeof error === "string") throw new PilotError("registry_error", `registry: ${error}`);
    return reply;
  }

  /** The reconnect cycle of §4.2. `original` is the failure that started it, for the final error. */
  async #reconnect(signal: AbortSignal, original: unknown): Promise<Link> {
    const target = parseHostPort(this.address);
    const attempts = this.#options.reconnectAttempts ?? CLIENT_RECONNECT_ATTEMPTS;
    const maxBackoff = this.#options.backoffMaxMs ?? CLIENT_BACKOFF_MAX_MS;
    let backoff = this.#options.backoffInitialMs ?? CLIENT_BACKOFF_INITIAL_MS;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const dialSignal = AbortSignal.any([
        signal,
        AbortSignal.timeout(this.#options.dialTimeoutMs ?? CLIENT_DIAL_TIMEOUT_MS),
      ]);
      try {
        const conn = await Deno.connect({ ...target, transport: "tcp", signal: dialSignal });
        this.#link = openLink(conn);
        this.#log.info("registry reconnected", { addr: this.address, attempt });
        return this.#link;
      } catch (err) {
        if (signal.aborted) throw err;
        this.#log.warn("registry reconnect failed", { attempt, error: errorText(err) });
      }
      // The sleep follows the last failure too, as in the reference.
      await delay(backoff, signal);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
    const reason = original === undefined ? "registry connection lost" : errorText(original);
    throw new PilotError("connection_failed", `send failed and reconnect failed: ${reason}`, {
      hint: `check that the registry is running at ${this.address}`,
      cause: original,
    });
  }

  #drop(): void {
    const link = this.#link;
    this.#link = undefined;
    if (link !== undefined) closeLink(link);
  }

  /** Closes the connection; pending and later requests fail with `registry_closed`. */
  async close(): Promise<void> {
    this.#closed.abort();
    this.#drop();
    await this.#tail;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function openLink(conn: Deno.TcpConn): Link {
  conn.setNoDelay(true);
  const reader = readableOf(conn).pipeThrough(new RegistryFrameDecoderStream({ maxBody: MAX_FRAME_BODY }))
    .getReader();
  return { conn, reader };
}

function closeLink(link: Link): void {
  try {
    link.conn.close();
  } catch {
    // Already closed by the peer or an earlier failure.
  }
  link.reader.cancel().catch(() => {
    // The stream failed already; the socket is closed above, nothing else is held.
  });
}

async function exchange(link: Link, frame: Uint8Array, signal: AbortSignal): Promise<RegistryMessage> {
  signal.throwIfAborted();
  const onAbort = () => closeLink(link);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (let offset = 0; offset < frame.byteLength;) offset += await link.conn.write(frame.subarray(offset));
    const next = await link.reader.read();
    if (next.done) throw new PilotError("registry_eof", "registry closed the connection");
    return parseRegistryMessage(next.value);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
