/**
 * The daemon's trust service (control.md §7): the port-444 handshake listener, the trust manager with
 * its `trust.json` next to the identity file, the registry-relayed path polled after each heartbeat,
 * and the IPC handshake sub-commands (§9.4) with their error prefixes.
 *
 * @module
 */

import type { Identity } from "../crypto/mod.ts";
import { identitySigner } from "../crypto/mod.ts";
import { isPilotError, PilotError } from "../errors.ts";
import type { IpcRequest } from "../ipc/mod.ts";
import type { Logger } from "../log.ts";
import { PORTS } from "../protocol/mod.ts";
import {
  lookup,
  pollHandshakes,
  type RegistryClient,
  reportTrust,
  requestHandshake,
  respondHandshake,
  revokeTrust,
} from "../registry/mod.ts";
import type { OverlayConn, Stack } from "../transport/mod.ts";
import { TrustManager, type TrustRegistry, TrustStore } from "../trust/mod.ts";

/** The reference waits this long for a handshake's first data chunk (§7.3). */
const FIRST_CHUNK_MS = 10_000;
/** Port-444 messages fit one segment (§7.3); a larger first chunk is cut there and then refused. */
const FIRST_CHUNK_BYTES = 4096;

/** Options of {@linkcode TrustService.start}. */
export interface TrustServiceOptions {
  stack: Stack;
  identity: Identity;
  /** `trust.json`; none for an ephemeral identity (trust then lives in memory only, §8). */
  trustFile: string | undefined;
  registry: () => RegistryClient;
  nodeId: () => number;
  /** Drops the tunnel state of a peer whose trust ended (§7.2). */
  dropTunnel: (nodeId: number) => void;
  emit: (event: string, data: Record<string, string | number | boolean>) => void;
  logger: Logger;
}

/** Trust: the handshake port, the manager and the IPC sub-commands. */
export class TrustService implements AsyncDisposable {
  readonly manager: TrustManager;
  #log: Logger;
  #abort = new AbortController();
  #loop: Promise<void>;

  private constructor(manager: TrustManager, options: TrustServiceOptions) {
    this.manager = manager;
    this.#log = options.logger;
    const listener = options.stack.listen(PORTS.HANDSHAKE);
    this.#abort.signal.addEventListener("abort", () => listener.close(), { once: true });
    this.#loop = (async () => {
      try {
        for await (const conn of listener) void this.#serve(conn);
      } catch (err) {
        if (!isPilotError(err)) throw err; // closed while waiting: shutting down
      }
    })();
  }

  /** Loads `trust.json` and binds port 444 (control.md §10.5 steps 1 and 12). */
  static async start(options: TrustServiceOptions): Promise<TrustService> {
    const store = options.trustFile === undefined
      ? TrustStore.inMemory()
      : await TrustStore.open(options.trustFile, { logger: options.logger });
    const signer = identitySigner(options.identity);
    const stack = options.stack;
    const manager = new TrustManager({
      store,
      registry: registryPort(options.registry),
      signer: { publicKeyBase64: options.identity.publicKey.toBase64(), signText: (t) => signer.signText(t) },
      ownNodeId: options.nodeId,
      emit: options.emit,
      dropTunnel: options.dropTunnel,
      logger: options.logger.child({ component: "trust" }),
      sendToPeer: async (nodeId, message) => {
        const conn = await stack.dial({ network: 0, node: nodeId }, PORTS.HANDSHAKE, { timeoutMs: 15_000 });
        try {
          for (let offset = 0; offset < message.byteLength;) {
            offset += await conn.write(message.subarray(offset));
          }
        } finally {
          // Our close sends FIN only once the message is acknowledged (no 500 ms guess needed).
          conn.close();
        }
      },
    });
    return new TrustService(manager, options);
  }

  /** Answers one IPC Handshake command with its §9.4 JSON; errors carry the §9.4 prefixes. */
  async handle(msg: Extract<IpcRequest, { kind: "handshake" }>): Promise<unknown> {
    try {
      switch (msg.sub) {
        case "request":
          return await this.manager.request(msg.nodeId, msg.justification);
        case "approve":
          return await this.manager.approve(msg.nodeId);
        case "reject":
          return await this.manager.reject(msg.nodeId, msg.reason);
        case "revoke":
          return await this.manager.revoke(msg.nodeId);
        case "pending":
          return this.manager.pendingReply();
        case "trusted":
          return this.manager.trustedReply();
        default: {
          const unknown: never = msg;
          throw new Error(`unhandled handshake sub-command ${JSON.stringify(unknown)}`);
        }
      }
    } catch (err) {
      if (!isPilotError(err)) throw err;
      throw new PilotError("ipc_error", `handshake ${msg.sub}: ${err.message}`, { cause: err });
    }
  }

  /** The relayed path (§7.5), run after every successful heartbeat. */
  async poll(): Promise<void> {
    await this.manager.pollRelayed().catch((err) =>
      this.#log.warn("poll handshakes failed", { error: err instanceof Error ? err.message : String(err) })
    );
  }

  async #serve(conn: OverlayConn): Promise<void> {
    const buffer = new Uint8Array(FIRST_CHUNK_BYTES);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const first = await Promise.race([
        conn.read(buffer),
        new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), FIRST_CHUNK_MS)),
      ]);
      if (first === null || first === 0) return;
      await this.manager.handleMessage(buffer.subarray(0, first), {
        sourceNodeId: conn.remoteAddr.address.node,
      });
    } catch (err) {
      if (!isPilotError(err)) throw err;
      this.#log.debug("handshake connection ended early", { error: err.code });
    } finally {
      clearTimeout(timer);
      // We answer on new connections, never on this one (§7.3); closing it ends the exchange cleanly.
      conn.close();
    }
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.manager.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function registryPort(client: () => RegistryClient): TrustRegistry {
  return {
    reportTrust: (node, peer) => reportTrust(client(), node, peer),
    revokeTrust: (node, peer) => revokeTrust(client(), node, peer),
    requestHandshake: async (from, to, justification) => {
      await requestHandshake(client(), from, to, justification);
    },
    pollHandshakes: async (node) => {
      const reply = await pollHandshakes(client(), node);
      return { requests: reply.requests, responses: reply.responses };
    },
    respondHandshake: async (node, peer, accept) => {
      await respondHandshake(client(), node, peer, accept);
    },
    lookup: async (node) => {
      const reply = await lookup(client(), node);
      const networks = Reflect.get(reply.raw, "networks");
      return {
        publicKey: reply.publicKey,
        networks: Array.isArray(networks) ? networks.filter((n): n is number => typeof n === "number") : [0],
      };
    },
  };
}
