/**
 * The trust state machine of control.md §7.4 and the registry-relayed path of §7.5, without sockets: the
 * daemon hands in received port-444 messages and supplies the ways out (a port-444 send, the registry
 * calls, the signer, webhooks, the clock). The IPC handshake sub-commands (§9.4) map one to one onto
 * {@linkcode TrustManager.request}, `approve`, `reject`, `revoke`, `pendingReply` and `trustedReply`.
 *
 * Deviations from the reference (all invisible to a well-behaved reference peer on the wire):
 * - A port-444 message is verified under the key the registry holds for its `node_id` (looked up and cached
 *   per node for 10 min, re-fetched on a mismatch at most every 30 s; a cached key is still used while the
 *   registry is unreachable); the key inside the message must equal it. The reference only uses the key in
 *   the message, so anyone could speak for any node id.
 * - A message with an empty `public_key` is dropped when the registry holds a key for the node (the
 *   reference skips the signature check then); when neither holds a key it is dropped as well.
 * - A message from a node the registry does not know (and we never cached) is dropped.
 * - A message claiming our own node id, or a `node_id` other than the node the connection came from (when
 *   the daemon passes `sourceNodeId`), is dropped.
 * - The replay cache records a message only once its signature verified, holds at most 4,096 entries (the
 *   oldest goes first) and keeps each until its timestamp would fail the 5-minute window anyway.
 * - A `handshake_accept` (direct or relayed) counts only when we asked that peer (outgoing flag) or already
 *   trust it; the reference also trusts unsolicited accepts, which let any peer make us trust it. Since the
 *   outgoing flag is not persisted (as in the reference), a restart between request and accept means
 *   asking again.
 * - Approve awaits `report_trust` before sending the direct accept, so the registry pair exists when the
 *   daemon resolves a private requester; revoke sends `handshake_revoke` over the still-open tunnel before
 *   dropping it and before `revoke_trust` (after which a private peer could no longer be resolved).
 * - A request to our own node id is refused with `invalid_argument`.
 * Not fixable without breaking the wire: the signature covers only `handshake:<from>:<to>`, not the type,
 * timestamp or text, so a captured message of a peer lets anyone forge any other type from it within the
 * time window. Authenticated tunnels plus `sourceNodeId` are the defence there.
 *
 * @module
 */

import { errorText, PilotError } from "../errors.ts";
import { verifyTextSignature } from "../crypto/mod.ts";
import { NULL_LOGGER } from "../log.ts";
import type { Logger } from "../log.ts";
import { HANDSHAKE_TYPES, MAX_RELAYED_ITEMS, REVOKE_REASON, TRUST_EVENTS } from "./constants.ts";
import { encodeHandshakeMessage, handshakeChallenge, isHandshakeType } from "./handshake_message.ts";
import type { HandshakeType } from "./handshake_message.ts";
import { HandshakeVerifier } from "./handshake_verifier.ts";
import type { DropReason } from "./handshake_verifier.ts";
import { PeerKeyCache } from "./peer_key_cache.ts";
import type { PeerRecord } from "./peer_key_cache.ts";
import type { TrustStore } from "./trust_store.ts";
import type { TrustedPeer } from "./trust_file.ts";
import { pendingReply, trustedReply } from "./ipc_replies.ts";
import type { HandshakeStatusReply, PendingReply, TrustedReply } from "./ipc_replies.ts";
import type { HandshakeInbox, TrustManagerOptions, TrustRegistry, TrustSigner } from "./manager_deps.ts";

/** What became of one received port-444 message. */
export type HandshakeOutcome =
  | { handled: true; type: HandshakeType; peer: number; action: HandshakeAction }
  | { handled: false; reason: DropReason; detail: string };

/** What a handled message did. */
export type HandshakeAction =
  | "pending"
  | "already_trusted"
  | "auto_approved"
  | "trusted"
  | "outgoing_cleared"
  | "revoked";

/** Options of {@linkcode TrustManager.handleMessage}. */
export interface HandleOptions {
  /** The node the port-444 connection came from; a message naming another node is dropped. */
  sourceNodeId?: number;
}

/**
 * The trust model of one daemon.
 *
 * @example
 * ```ts
 * import { TrustManager, TrustStore } from "./mod.ts";
 * import { Ed25519Signer } from "../crypto/mod.ts";
 * const offline = () => Promise.reject(new Error("offline"));
 * const manager = new TrustManager({
 *   store: TrustStore.inMemory(),
 *   registry: {
 *     reportTrust: offline,
 *     revokeTrust: offline,
 *     requestHandshake: offline,
 *     pollHandshakes: offline,
 *     respondHandshake: offline,
 *     lookup: offline,
 *   },
 *   signer: new Ed25519Signer(new Uint8Array(32)),
 *   sendToPeer: offline,
 *   ownNodeId: () => 1,
 *   emit: () => {},
 * });
 * // A private node admits only itself until it trusts someone.
 * if (!manager.admits(1) || manager.admits(2)) throw new Error("admission rule");
 * const outcome = await manager.handleMessage(new TextEncoder().encode("{}"));
 * if (outcome.handled || outcome.reason !== "malformed") throw new Error("dropped, not thrown");
 * await manager.close();
 * ```
 */
export class TrustManager {
  readonly #store: TrustStore;
  readonly #registry: TrustRegistry;
  readonly #signer: TrustSigner;
  readonly #options: TrustManagerOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  readonly #keys: PeerKeyCache;
  readonly #verifier: HandshakeVerifier;
  readonly #tasks = new Set<Promise<void>>();
  readonly #drops = new Map<DropReason, number>();
  #closed = false;

  constructor(options: TrustManagerOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#registry = options.registry;
    this.#signer = options.signer;
    this.#now = options.now ?? Date.now;
    this.#log = options.logger ?? NULL_LOGGER;
    this.#keys = new PeerKeyCache((id) => this.#registry.lookup(id), { now: this.#now });
    this.#verifier = new HandshakeVerifier({
      keys: this.#keys,
      verify: options.verify ?? verifyTextSignature,
    });
  }

  /** True when `nodeId` is in our trusted list. */
  isTrusted(nodeId: number): boolean {
    return this.#store.isTrusted(nodeId);
  }

  /** The admission rule of a private node (issue #4): only ourselves and trusted peers may connect. */
  admits(nodeId: number): boolean {
    return nodeId === this.#options.ownNodeId() || this.#store.isTrusted(nodeId);
  }

  /** Forgets the cached registry key of `nodeId` (call when the daemon learns the peer changed keys). */
  invalidatePeerKey(nodeId: number): void {
    this.#keys.invalidate(nodeId);
  }

  /** Messages dropped so far, per reason. */
  dropCounts(): Record<string, number> {
    return Object.fromEntries(this.#drops);
  }

  /**
   * Handles the first data chunk of a port-444 connection (§7.3, §7.4). Never throws: a bad message is
   * counted, logged at debug level and reported as `handled: false`.
   */
  async handleMessage(bytes: Uint8Array, options: HandleOptions = {}): Promise<HandshakeOutcome> {
    try {
      const own = this.#options.ownNodeId();
      const checked = await this.#verifier.check(bytes, {
        ownNodeId: own,
        nowMs: this.#now(),
        sourceNodeId: options.sourceNodeId,
      });
      if (!checked.ok) return this.#drop(checked.reason, checked.detail);
      const { message, publicKey, record } = checked;
      const peer = message.nodeId;
      const type = message.type;
      if (!isHandshakeType(type)) return this.#drop("unknown_type", `type ${type}`);
      const done = (action: HandshakeAction): HandshakeOutcome => {
        this.#log.debug("handshake message handled", { type, peer, action });
        return { handled: true, type, peer, action };
      };
      switch (type) {
        case HANDSHAKE_TYPES.request:
          return done(await this.#onRequest(peer, message.justification, publicKey, record));
        case HANDSHAKE_TYPES.accept:
          if (!this.#store.hasOutgoing(peer) && !this.#store.isTrusted(peer)) {
            return this.#drop("unsolicited", `accept from node ${peer}, which we did not ask`);
          }
          this.#store.clearOutgoing(peer);
          this.#putTrusted({
            nodeId: peer,
            publicKey,
            approvedAt: this.#seconds(),
            mutual: true,
            network: this.#store.trusted(peer)?.network ?? 0,
          });
          await this.#save();
          this.#background("report_trust", () => this.#registry.reportTrust(own, peer));
          return done("trusted");
        case HANDSHAKE_TYPES.reject:
          this.#store.clearOutgoing(peer);
          return done("outgoing_cleared");
        case HANDSHAKE_TYPES.revoke: {
          this.#options.emit(TRUST_EVENTS.revokedByPeer, { peer_node_id: peer });
          const removed = this.#store.remove(peer);
          if (removed.trusted || removed.pending) await this.#save();
          await this.#options.dropTunnel?.(peer);
          if (removed.trusted) this.#background("revoke_trust", () => this.#registry.revokeTrust(own, peer));
          return done("revoked");
        }
        default: {
          const unreachable: never = type;
          throw new Error(`unhandled handshake type ${unreachable}`);
        }
      }
    } catch (err) {
      // A bug or a failing daemon callback: the receive loop must go on.
      const detail = err instanceof Error ? err.message : String(err);
      this.#log.error("handshake message handler failed", { error: detail });
      return this.#drop("internal", detail);
    }
  }

  async #onRequest(peer: number, justification: string, publicKey: string, record: PeerRecord) {
    this.#options.emit(TRUST_EVENTS.received, { peer_node_id: peer, justification });
    if (this.#store.isTrusted(peer)) {
      this.#sendAccept(peer);
      return "already_trusted" as const;
    }
    const own = this.#options.ownNodeId();
    if (this.#store.hasOutgoing(peer)) {
      this.#store.clearOutgoing(peer);
      this.#putTrusted({
        nodeId: peer,
        publicKey,
        approvedAt: this.#seconds(),
        mutual: true,
        network: 0,
      });
      await this.#save();
      this.#options.emit(TRUST_EVENTS.autoApproved, { peer_node_id: peer, reason: "mutual" });
      this.#sendAccept(peer);
      this.#background("report_trust", () => this.#registry.reportTrust(own, peer));
      return "auto_approved" as const;
    }
    const network = await this.#sharedNetwork(own, record);
    if (network !== 0 && !this.#store.isTrusted(peer)) {
      this.#putTrusted({
        nodeId: peer,
        publicKey,
        approvedAt: this.#seconds(),
        mutual: false,
        network,
      });
      await this.#save();
      this.#options.emit(TRUST_EVENTS.autoApproved, { peer_node_id: peer, reason: "same_network" });
      this.#sendAccept(peer);
      this.#background("report_trust", () => this.#registry.reportTrust(own, peer));
      return "auto_approved" as const;
    }
    if (this.#store.isTrusted(peer)) return "already_trusted" as const; // approved while we looked up
    this.#store.putPending({ nodeId: peer, publicKey, justification, receivedAt: this.#seconds() });
    await this.#save();
    this.#options.emit(TRUST_EVENTS.pending, { peer_node_id: peer, justification });
    return "pending" as const;
  }

  /** A non-backbone network both nodes are in (never the case in this build: §3.7.21), else 0. */
  async #sharedNetwork(own: number, peer: PeerRecord): Promise<number> {
    if (!peer.networks.some((id) => id !== 0)) return 0;
    const ours = await this.#keys.get(own);
    return peer.networks.find((id) => id !== 0 && ours !== undefined && ours.networks.includes(id)) ?? 0;
  }

  /**
   * IPC Request (§7.4): direct `handshake_request` to port 444, else `request_handshake` at the registry.
   *
   * @throws {PilotError} `invalid_argument` for a bad or own node id; `connection_failed`
   *   (`handshake relay: <error>`) when both paths failed. The IPC layer adds the `handshake request: `
   *   prefix of §9.4.
   */
  async request(peer: number, justification = ""): Promise<HandshakeStatusReply> {
    const own = this.#options.ownNodeId();
    checkNodeId(peer);
    if (peer === own) {
      throw new PilotError("invalid_argument", `cannot send a handshake to our own node ${peer}`);
    }
    const reply = { node_id: peer, status: "sent" } as const;
    if (this.#store.isTrusted(peer)) return reply;
    this.#store.setOutgoing(peer);
    try {
      await this.#options.sendToPeer(
        peer,
        await this.#build(HANDSHAKE_TYPES.request, peer, justification, ""),
      );
      return reply;
    } catch (err) {
      this.#log.debug("direct handshake failed, relaying through the registry", {
        peer,
        error: errorText(err),
      });
    }
    try {
      await this.#registry.requestHandshake(own, peer, justification);
    } catch (err) {
      throw new PilotError("connection_failed", `handshake relay: ${errorText(err)}`, { cause: err });
    }
    return reply;
  }

  /** IPC Approve (§7.4); succeeds also when nothing was pending. */
  async approve(peer: number): Promise<HandshakeStatusReply> {
    checkNodeId(peer);
    const reply = { node_id: peer, status: "approved" } as const;
    const pending = this.#store.pending(peer);
    if (pending === undefined) return reply;
    const own = this.#options.ownNodeId();
    this.#putTrusted({
      nodeId: peer,
      publicKey: pending.publicKey,
      approvedAt: this.#seconds(),
      mutual: false,
      network: 0,
    });
    await this.#save();
    this.#options.emit(TRUST_EVENTS.approved, { peer_node_id: peer });
    await this.#quietly("report_trust", () => this.#registry.reportTrust(own, peer));
    this.#background("respond_handshake", () => this.#registry.respondHandshake(own, peer, true));
    try {
      await this.#options.sendToPeer(peer, await this.#build(HANDSHAKE_TYPES.accept, peer, "", ""));
    } catch (err) {
      this.#log.debug("direct accept failed, relaying through the registry", { peer, error: errorText(err) });
      await this.#quietly("respond_handshake", () => this.#registry.respondHandshake(own, peer, true));
    }
    return reply;
  }

  /** IPC Reject (§7.4); succeeds also when nothing was pending. */
  async reject(peer: number, reason = ""): Promise<HandshakeStatusReply> {
    checkNodeId(peer);
    const own = this.#options.ownNodeId();
    if (this.#store.removePending(peer)) await this.#save();
    this.#options.emit(TRUST_EVENTS.rejected, { peer_node_id: peer, reason });
    this.#background("respond_handshake", () => this.#registry.respondHandshake(own, peer, false));
    try {
      await this.#options.sendToPeer(peer, await this.#build(HANDSHAKE_TYPES.reject, peer, "", reason));
    } catch (err) {
      this.#log.debug("direct reject failed", { peer, error: errorText(err) }); // the relayed answer covers it
    }
    return { node_id: peer, status: "rejected" };
  }

  /**
   * IPC Revoke (§7.4): forget the peer, tell it and the registry.
   *
   * @throws {PilotError} `not_found` (`node N was not trusted`) when it was not trusted; a pending request
   *   and the outgoing flag are dropped all the same, as in the reference. The IPC layer adds the
   *   `handshake revoke: ` prefix of §9.4.
   */
  async revoke(peer: number): Promise<HandshakeStatusReply> {
    checkNodeId(peer);
    const own = this.#options.ownNodeId();
    const removed = this.#store.remove(peer);
    if (removed.trusted || removed.pending) await this.#save();
    if (!removed.trusted) throw new PilotError("not_found", `node ${peer} was not trusted`);
    this.#options.emit(TRUST_EVENTS.revoked, { peer_node_id: peer });
    this.#background("revoke", async () => {
      await this.#quietly("handshake_revoke", async () => {
        await this.#options.sendToPeer(
          peer,
          await this.#build(HANDSHAKE_TYPES.revoke, peer, "", REVOKE_REASON),
        );
      });
      await this.#options.dropTunnel?.(peer);
      await this.#registry.revokeTrust(own, peer);
    });
    return { node_id: peer, status: "revoked" };
  }

  /** IPC Pending (§9.4). */
  pendingReply(): PendingReply {
    return pendingReply(this.#store);
  }

  /** IPC Trusted (§9.4). */
  trustedReply(): TrustedReply {
    return trustedReply(this.#store);
  }

  /** Trusted peers, by node id. */
  listTrusted(): TrustedPeer[] {
    return this.#store.listTrusted();
  }

  /** Call after each successful heartbeat (§4.4): fetches and processes the registry inboxes. */
  async pollRelayed(): Promise<void> {
    await this.processRelayed(await this.#registry.pollHandshakes(this.#options.ownNodeId()));
  }

  /** Applies relayed requests and responses (§7.5). No webhooks fire on this path, as in the reference. */
  async processRelayed(inbox: HandshakeInbox): Promise<void> {
    const own = this.#options.ownNodeId();
    let changed = false;
    for (const item of inbox.requests.slice(0, MAX_RELAYED_ITEMS)) {
      const peer = item.fromNodeId;
      if (!isNodeId(peer) || peer === own) continue;
      if (this.#store.isTrusted(peer)) {
        this.#background("respond_handshake", () => this.#registry.respondHandshake(own, peer, true));
      } else if (this.#store.clearOutgoing(peer)) {
        this.#putTrusted({
          nodeId: peer,
          publicKey: "",
          approvedAt: this.#seconds(),
          mutual: true,
          network: 0,
        });
        changed = true;
        this.#background("respond_handshake", async () => {
          await this.#registry.respondHandshake(own, peer, true);
          await this.#backfillKey(peer);
        });
      } else {
        this.#store.putPending({
          nodeId: peer,
          publicKey: "",
          justification: item.justification,
          receivedAt: this.#seconds(),
        });
        changed = true;
        // The reference fires these only for direct requests (§7.5 quirk); a relayed request is just as
        // much a request, so webhook consumers hear of both.
        this.#options.emit(TRUST_EVENTS.received, { peer_node_id: peer, justification: item.justification });
        this.#options.emit(TRUST_EVENTS.pending, { peer_node_id: peer, justification: item.justification });
      }
    }
    for (const item of inbox.responses.slice(0, MAX_RELAYED_ITEMS)) {
      const peer = item.fromNodeId;
      if (!isNodeId(peer) || peer === own) continue;
      if (!item.accept) {
        this.#store.clearOutgoing(peer);
      } else if (this.#store.isTrusted(peer)) {
        this.#store.clearOutgoing(peer);
      } else if (this.#store.clearOutgoing(peer)) {
        this.#putTrusted({
          nodeId: peer,
          publicKey: "",
          approvedAt: this.#seconds(),
          mutual: true,
          network: 0,
        });
        changed = true;
        this.#background("key backfill", () => this.#backfillKey(peer));
      } else {
        this.#drop("unsolicited", `relayed accept from node ${peer}, which we did not ask`);
      }
    }
    if (changed) await this.#save();
  }

  /** Records a peer as trusted; the one place a peer becomes trusted, so it is logged once, here. */
  #putTrusted(record: Parameters<TrustStore["putTrusted"]>[0]): void {
    this.#store.putTrusted(record);
    this.#log.debug("peer trusted", { peer: record.nodeId, mutual: record.mutual });
  }

  /** Re-sends `report_trust` for every trusted peer (re-registration, §4.4); errors are only logged. */
  async reportAllTrusted(): Promise<void> {
    const own = this.#options.ownNodeId();
    for (const peer of this.#store.listTrusted()) {
      await this.#quietly("report_trust", () => this.#registry.reportTrust(own, peer.nodeId));
    }
  }

  /** Resolves once every background registry call and send started so far has finished. */
  async idle(): Promise<void> {
    // Bounded: tasks started by tasks are picked up by the next round.
    for (let round = 0; round < 100 && this.#tasks.size > 0; round++) {
      await Promise.allSettled([...this.#tasks]);
    }
  }

  /** Stops starting background work and waits for what runs. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #backfillKey(peer: number): Promise<void> {
    const record = await this.#keys.get(peer);
    const current = this.#store.trusted(peer);
    if (
      record === undefined || record.publicKey === "" || current === undefined || current.publicKey !== ""
    ) {
      return;
    }
    this.#store.putTrusted({ ...current, publicKey: record.publicKey });
    await this.#save();
  }

  /** "Send accept" of §7.4: direct, else relayed. */
  #sendAccept(peer: number): void {
    const own = this.#options.ownNodeId();
    this.#background("accept", async () => {
      try {
        await this.#options.sendToPeer(peer, await this.#build(HANDSHAKE_TYPES.accept, peer, "", ""));
      } catch (err) {
        this.#log.debug("direct accept failed, relaying through the registry", {
          peer,
          error: errorText(err),
        });
        await this.#registry.respondHandshake(own, peer, true);
      }
    });
  }

  async #build(
    type: HandshakeType,
    peer: number,
    justification: string,
    reason: string,
  ): Promise<Uint8Array> {
    const own = this.#options.ownNodeId();
    return encodeHandshakeMessage({
      type,
      nodeId: own,
      publicKey: this.#signer.publicKeyBase64,
      justification,
      signature: await this.#signer.signText(handshakeChallenge(own, peer)),
      reason,
      timestamp: this.#seconds(),
    });
  }

  #seconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  async #save(): Promise<void> {
    try {
      await this.#store.save();
    } catch (err) {
      // Memory stays authoritative; the next change writes the whole state again.
      this.#log.warn("trust file not saved", { path: this.#store.path, error: errorText(err) });
    }
  }

  async #quietly(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      this.#log.warn(`trust: ${what} failed`, { error: errorText(err) });
    }
  }

  #background(what: string, run: () => Promise<void>): void {
    if (this.#closed) {
      this.#log.debug(`trust: ${what} skipped, closing`);
      return;
    }
    const task = this.#quietly(what, run).finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
  }

  #drop(reason: DropReason, detail: string): HandshakeOutcome {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
    this.#log.debug("handshake message dropped", { reason, detail });
    return { handled: false, reason, detail };
  }
}

function isNodeId(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 0xffff_ffff;
}

function checkNodeId(value: number): void {
  if (!isNodeId(value)) throw new PilotError("invalid_argument", `node id ${value} is out of range`);
}
