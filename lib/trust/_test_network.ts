/**
 * Test-only: two or more TrustManagers wired together in memory.
 *
 * Their `sendToPeer` callbacks hand the bytes straight to the other manager's `handleMessage` (the port-444
 * stream itself belongs to the daemon and is tested there), and they share {@linkcode RegistryDouble}, a
 * deliberately minimal stand-in for the registry: the real registry client and server live in
 * `lib/registry` and are exercised by their own tests; here we only need the few rules of control.md
 * §3.7.12–3.7.15 that decide trust (pairs, the two inboxes, resolve denied for private nodes).
 *
 * @module
 */

import type { TrustEventData } from "./manager_deps.ts";
import { TrustManager } from "./trust_manager.ts";
import type { HandshakeOutcome } from "./trust_manager.ts";
import type { HandshakeInbox, RelayedRequest, RelayedResponse, TrustRegistry } from "./manager_deps.ts";
import type { PeerRecord } from "./peer_key_cache.ts";
import { TrustStore } from "./trust_store.ts";
import type { CapturedIdentity } from "./_test_vectors.ts";

const pairKey = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;

/** The trust-relevant part of a registry, in memory. */
export class RegistryDouble {
  readonly keys = new Map<number, string>();
  readonly networks = new Map<number, number[]>();
  readonly pairs = new Set<string>();
  readonly publicNodes = new Set<number>();
  readonly calls: string[] = [];
  #requests = new Map<number, RelayedRequest[]>();
  #responses = new Map<number, RelayedResponse[]>();
  /** When true every call fails as if the registry were unreachable. */
  down = false;
  lookups = 0;

  constructor(readonly now: () => number) {}

  /** True when `a` and `b` hold a trust pair. */
  trusts(a: number, b: number): boolean {
    return this.pairs.has(pairKey(a, b));
  }

  /** The resolve rule (§7.1): public nodes, or private ones holding a pair with the requester. */
  canResolve(requester: number, target: number): boolean {
    return this.publicNodes.has(target) || this.trusts(requester, target);
  }

  /** The interface one node's daemon would see. */
  client(): TrustRegistry {
    const seconds = () => Math.floor(this.now() / 1000);
    const call = (text: string) => {
      this.calls.push(text);
      if (this.down) throw new Error("registry: send failed and reconnect failed");
    };
    const known = (id: number) => {
      if (!this.keys.has(id)) throw new Error(`registry: request failed (node ${id}: node not found)`);
    };
    return {
      reportTrust: async (nodeId, peerId) => {
        await Promise.resolve();
        call(`report_trust ${nodeId} ${peerId}`);
        known(nodeId);
        known(peerId);
        this.pairs.add(pairKey(nodeId, peerId));
      },
      revokeTrust: async (nodeId, peerId) => {
        await Promise.resolve();
        call(`revoke_trust ${nodeId} ${peerId}`);
        if (!this.pairs.delete(pairKey(nodeId, peerId))) throw new Error("registry: request failed");
      },
      requestHandshake: async (from, to, justification) => {
        await Promise.resolve();
        call(`request_handshake ${from} ${to}`);
        known(from);
        known(to);
        const inbox = this.#requests.get(to) ?? [];
        if (inbox.some((r) => r.fromNodeId === from)) throw new Error("registry: request failed");
        inbox.push({ fromNodeId: from, justification, timestamp: seconds() });
        this.#requests.set(to, inbox);
      },
      pollHandshakes: async (nodeId): Promise<HandshakeInbox> => {
        await Promise.resolve();
        call(`poll_handshakes ${nodeId}`);
        const inbox = {
          requests: this.#requests.get(nodeId) ?? [],
          responses: this.#responses.get(nodeId) ?? [],
        };
        this.#requests.delete(nodeId);
        this.#responses.delete(nodeId);
        return inbox;
      },
      respondHandshake: async (nodeId, peerId, accept) => {
        await Promise.resolve();
        call(`respond_handshake ${nodeId} ${peerId} ${accept}`);
        known(nodeId);
        known(peerId);
        if (accept) this.pairs.add(pairKey(nodeId, peerId));
        const inbox = this.#responses.get(peerId) ?? [];
        inbox.push({ fromNodeId: nodeId, accept, timestamp: seconds() });
        this.#responses.set(peerId, inbox);
      },
      lookup: async (nodeId): Promise<PeerRecord> => {
        await Promise.resolve();
        this.lookups++;
        call(`lookup ${nodeId}`);
        const publicKey = this.keys.get(nodeId);
        if (publicKey === undefined) {
          throw new Error(`registry: request failed (node ${nodeId}: node not found)`);
        }
        return { publicKey, networks: this.networks.get(nodeId) ?? [0] };
      },
    };
  }
}

/** One node of a test network. */
export interface TestNode {
  id: number;
  manager: TrustManager;
  store: TrustStore;
  events: [string, TrustEventData][];
  /** What the other side made of each message this node sent directly. */
  sent: HandshakeOutcome[];
  dropped: number[];
}

/** Nodes wired through their port-444 callbacks plus one registry double and one clock. */
export class TestNetwork {
  clock = 1_795_546_149_000;
  readonly registry = new RegistryDouble(() => this.clock);
  readonly nodes = new Map<number, TestNode>();
  /** Nodes whose port 444 cannot be reached (dial timeout) whatever the registry says. */
  readonly unreachable = new Set<number>();

  /** Adds a node with `identity`; `path` backs its store with a file. */
  async add(
    identity: CapturedIdentity,
    options: { path?: string; public?: boolean } = {},
  ): Promise<TestNode> {
    this.registry.keys.set(identity.nodeId, identity.publicKey);
    if (options.public === true) this.registry.publicNodes.add(identity.nodeId);
    const store = options.path === undefined ? TrustStore.inMemory() : await TrustStore.open(options.path);
    const id = identity.nodeId;
    const events: TestNode["events"] = [];
    const sent: TestNode["sent"] = [];
    const dropped: TestNode["dropped"] = [];
    const manager = new TrustManager({
      store,
      registry: this.registry.client(),
      signer: identity.signer,
      ownNodeId: () => identity.nodeId,
      now: () => this.clock,
      emit: (event, data) => events.push([event, data]),
      dropTunnel: (peer) => {
        dropped.push(peer);
      },
      sendToPeer: async (peer, bytes) => {
        const target = this.nodes.get(peer);
        if (target === undefined || this.unreachable.has(peer) || !this.registry.canResolve(id, peer)) {
          throw new Error(`resolve node ${peer}: registry: request failed`);
        }
        sent.push(await target.manager.handleMessage(bytes, { sourceNodeId: id }));
      },
    });
    const node: TestNode = { id, manager, store, events, sent, dropped };
    this.nodes.set(id, node);
    return node;
  }

  /** Waits until no manager has background work left (their tasks may start tasks on the others). */
  async idle(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      await Promise.all([...this.nodes.values()].map((n) => n.manager.idle()));
    }
  }

  /** Closes every manager. */
  async close(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.manager.close()));
  }
}
