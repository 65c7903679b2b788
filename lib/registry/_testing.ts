/**
 * Test helpers of the registry area (not exported from mod.ts): a registry on 127.0.0.1 port 0 with a
 * KV file in a fresh temp dir, a raw frame client that reads replies byte by byte off the socket, and
 * the reply-shape comparator used against the captured sessions.
 *
 * @module
 */

import { Ed25519Signer } from "../crypto/mod.ts";
import { createLogger, type Logger, type LogRecord } from "../log.ts";
import { FRAME_PREFIX_SIZE } from "./constants.ts";
import {
  decodeRegistryFrame,
  encodeRegistryFrame,
  type RegistryMessage,
  type RegistryObject,
} from "./messages.ts";
import { RegistryServer, type RegistryServerOptions } from "./server.ts";
import { RegistryStore } from "./store.ts";

/** A registry for one test, with its log records. */
export interface TestRegistry extends AsyncDisposable {
  server: RegistryServer;
  store: RegistryStore;
  port: number;
  dir: string;
  kvPath: string;
  records: LogRecord[];
  /** Resolves with the first record (past or future) whose `msg` is `msg` and that `match` accepts. */
  waitForLog(msg: string, match?: (r: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** Stops the server and closes the store, keeping the temp dir (for reopen tests). */
  stop(): Promise<void>;
}

/** Starts a registry on a fresh KV file (or on `kvPath`, to reopen one). */
export async function startTestRegistry(
  options: RegistryServerOptions & { kvPath?: string; dir?: string } = {},
): Promise<TestRegistry> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "pilot-registry-" });
  const kvPath = options.kvPath ?? `${dir}/registry.kv`;
  const records: LogRecord[] = [];
  const waiters = new Set<(r: LogRecord) => void>();
  const logger: Logger = options.logger ?? createLogger({
    level: "debug",
    sink: (r) => {
      records.push(r);
      for (const w of waiters) w(r);
    },
  });
  const waitForLog = (msg: string, match: (r: LogRecord) => boolean = () => true, timeoutMs = 5000) => {
    const hit = (r: LogRecord) => r.msg === msg && match(r);
    const past = records.find(hit);
    if (past !== undefined) return Promise.resolve(past);
    const { promise, resolve, reject } = Promise.withResolvers<LogRecord>();
    const timer = setTimeout(() => {
      waiters.delete(waiter);
      reject(new Error(`no log record ${JSON.stringify(msg)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const waiter = (r: LogRecord) => {
      if (!hit(r)) return;
      clearTimeout(timer);
      waiters.delete(waiter);
      resolve(r);
    };
    waiters.add(waiter);
    return promise;
  };
  const store = await RegistryStore.open(kvPath);
  const server = new RegistryServer(store, { hostname: "127.0.0.1", port: 0, ...options, logger });
  await server.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await server.close();
    store.close();
  };
  return {
    server,
    store,
    port: server.addr.port,
    dir,
    kvPath,
    records,
    waitForLog,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
      if (options.dir === undefined) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A bare TCP client speaking frames, for tests that need exact bytes. */
export class RawClient implements Disposable {
  readonly conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects to the registry on 127.0.0.1. */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.byteLength;) offset += await this.conn.write(bytes.subarray(offset));
  }

  /** Sends one message and returns the raw reply frame. */
  async requestRaw(message: RegistryObject | RegistryMessage): Promise<Uint8Array> {
    await this.write(encodeRegistryFrame(toObject(message)));
    const frame = await this.readFrame();
    if (frame === undefined) {
      throw new Error(`registry closed the connection instead of answering ${JSON.stringify(message)}`);
    }
    return frame;
  }

  /** Sends one message and returns the parsed reply. */
  async request(message: RegistryObject | RegistryMessage): Promise<RegistryMessage> {
    return decodeRegistryFrame(await this.requestRaw(message));
  }

  /** Reads one whole frame, or `undefined` when the server closed the connection first. */
  async readFrame(): Promise<Uint8Array | undefined> {
    for (let rounds = 0; rounds < 1_000_000; rounds++) {
      if (this.#buffer.byteLength >= FRAME_PREFIX_SIZE) {
        const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getUint32(0);
        const total = FRAME_PREFIX_SIZE + length;
        if (this.#buffer.byteLength >= total) {
          const frame = this.#buffer.slice(0, total);
          this.#buffer = this.#buffer.slice(total);
          return frame;
        }
      }
      const chunk = new Uint8Array(65536);
      let n: number | null;
      try {
        n = await this.conn.read(chunk);
      } catch {
        return undefined; // reset by the server: the same as a close for these tests
      }
      if (n === null) return undefined;
      const merged = new Uint8Array(this.#buffer.byteLength + n);
      merged.set(this.#buffer);
      merged.set(chunk.subarray(0, n), this.#buffer.byteLength);
      this.#buffer = merged;
    }
    throw new Error("readFrame: too many reads");
  }

  /** True when the server closes the connection (EOF or reset) without sending anything more. */
  async closedByServer(): Promise<boolean> {
    return (await this.readFrame()) === undefined;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function toObject(message: RegistryObject | RegistryMessage): RegistryObject {
  // Test input is trusted JSON-shaped data; re-parse to get a typed copy without a cast.
  const copy: unknown = JSON.parse(JSON.stringify(message));
  if (typeof copy !== "object" || copy === null || Array.isArray(copy)) {
    throw new Error("message must be an object");
  }
  return Object.fromEntries(Object.entries(copy).map(([k, v]) => [k, jsonValue(v)]));
}

function jsonValue(value: unknown): RegistryObject[string] {
  if (
    value === null || typeof value === "boolean" || typeof value === "number" || typeof value === "string"
  ) {
    return value;
  }
  if (Array.isArray(value)) return value.map(jsonValue).filter((v) => v !== undefined);
  if (typeof value === "object") return toObject(Object.fromEntries(Object.entries(value)));
  return undefined;
}

/** JSON type name of a value, as the comparator reports it. */
function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/**
 * Differences in shape between `actual` and `expected`: the same members with the same JSON types, and
 * for arrays the same length and element shapes. Values are not compared. Empty list = same shape.
 */
export function shapeDiff(actual: unknown, expected: unknown, path = "$"): string[] {
  if (kind(actual) !== kind(expected)) {
    return [`${path}: ${kind(actual)} where ${kind(expected)} was captured`];
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) {
      return [`${path}: ${actual.length} elements, captured ${expected.length}`];
    }
    return actual.flatMap((item, i) => shapeDiff(item, expected[i], `${path}[${i}]`));
  }
  if (typeof actual === "object" && actual !== null && typeof expected === "object" && expected !== null) {
    const a = Object.entries(actual);
    const e = new Map(Object.entries(expected));
    const out: string[] = [];
    for (const [key, value] of a) {
      if (!e.has(key)) out.push(`${path}.${key}: not in the capture`);
      else out.push(...shapeDiff(value, e.get(key), `${path}.${key}`));
    }
    for (const key of e.keys()) if (!a.some(([k]) => k === key)) out.push(`${path}.${key}: missing`);
    return out;
  }
  return [];
}

/** A deterministic test identity: base64 public key and a signer of challenge strings. */
export interface TestIdentity {
  publicKey: string;
  sign(text: string): string;
}

/** Identity whose 32-byte seed is `seed` repeated (distinct seeds give distinct keys). */
export function testIdentity(seed: number): TestIdentity {
  const signer = new Ed25519Signer(
    new Uint8Array(32).fill(seed & 0xFF).map((b, i) => (b + i * (seed >> 8)) & 0xFF),
  );
  return { publicKey: signer.publicKeyBase64, sign: (text) => signer.signText(text) };
}

/** Registers `identity` on `client` and returns its node id. */
export async function registerIdentity(
  client: RawClient,
  identity: TestIdentity,
  extra: RegistryObject = {},
): Promise<number> {
  const reply = await client.request({
    type: "register",
    public_key: identity.publicKey,
    listen_addr: "127.0.0.1:4000",
    ...extra,
  });
  if (reply.type !== "register_ok" || typeof reply.node_id !== "number") {
    throw new Error(`register failed: ${JSON.stringify(reply)}`);
  }
  return reply.node_id;
}
