/**
 * The daemon's side of the control plane (control.md §4, §5.4, §10.5–§10.6): the registry connection,
 * registration, the heartbeat loop with re-registration, the beacon announcements from the tunnel socket,
 * the start-up visibility and hostname, and the signed deregistration at shutdown. It knows nothing of
 * tunnels or streams: it is handed the tunnel socket's address and a way to send datagrams from it.
 *
 * @module
 */

import { identitySigner } from "../crypto/mod.ts";
import type { Identity } from "../crypto/mod.ts";
import { errorText, PilotError } from "../errors.ts";
import type { Logger } from "../log.ts";
import {
  deregister,
  HeartbeatLoop,
  register,
  type RegisterReply,
  RegistryClient,
  setHostname,
  setVisibility,
} from "../registry/mod.ts";

/** Options of {@linkcode ControlPlane.start}. */
export interface ControlPlaneOptions {
  registry: string;
  identity: Identity;
  owner: string;
  /** The endpoint to register (`host:port`; only the port matters to the registry, §4.3). */
  listenAddr: string;
  /**
   * Announces our node id to the beacon from the tunnel socket (§5.4 step 2), when a beacon is
   * configured: after registering, after every successful heartbeat and after re-registration.
   */
  announce?: () => Promise<void>;
  /** Runs after every successful heartbeat, after the announcement (§4.4: poll the relayed handshakes). */
  afterHeartbeat?: () => Promise<void>;
  heartbeatIntervalMs: number;
  public: boolean;
  hostname: string;
  logger: Logger;
  /** Called once the start-up registration succeeded, before anything is announced. */
  onRegistered?: (reply: RegisterReply) => void | Promise<void>;
  /** Called when a re-registration handed out another node id (§4.4 step 3). */
  onNodeIdChanged?: (nodeId: number, address: string) => void;
}

/** A registered node's link to its registry and beacon. */
export class ControlPlane implements AsyncDisposable {
  readonly client: RegistryClient;
  #registration: RegisterReply;
  #heartbeat: HeartbeatLoop;
  #log: Logger;
  #stopping: Promise<void> | undefined;

  private constructor(
    client: RegistryClient,
    registration: RegisterReply,
    heartbeat: HeartbeatLoop,
    log: Logger,
  ) {
    this.client = client;
    this.#registration = registration;
    this.#heartbeat = heartbeat;
    this.#log = log;
  }

  /**
   * Dials the registry and registers (§10.5 steps 6, 9, 10). A failure to reach or register with the
   * registry aborts the start, as in the reference; visibility and hostname failures are warnings.
   */
  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    const log = options.logger;
    const signer = identitySigner(options.identity);
    const client = await RegistryClient.connect({
      address: options.registry,
      sign: (challenge) => Promise.resolve(signer.signText(challenge)),
      logger: log.child({ component: "registry-client" }),
    }).catch((err) => {
      throw new PilotError("connection_failed", `registry dial: ${errorText(err)}`, { cause: err });
    });
    const publicKey = options.identity.publicKey.toBase64();
    const registerRequest = { publicKey, listenAddr: options.listenAddr, owner: options.owner };
    let registration: RegisterReply;
    try {
      registration = await register(client, registerRequest);
    } catch (err) {
      await client.close();
      throw new PilotError("connection_failed", `register: ${errorText(err)}`, { cause: err });
    }
    const announce = async () => {
      await options.announce?.().catch((err) =>
        log.warn("beacon announce failed", { error: errorText(err) })
      );
    };
    const settings = async (nodeId: number) => {
      if (options.public) {
        await setVisibility(client, nodeId, true).catch((err) =>
          log.warn("set visibility failed", { error: errorText(err) })
        );
      }
      if (options.hostname !== "") {
        await setHostname(client, nodeId, options.hostname).catch((err) =>
          log.warn("set hostname failed", { hostname: options.hostname, error: errorText(err) })
        );
      }
    };
    // Filled right after the loop is built: the re-registration hook needs the plane it belongs to.
    const self: { plane?: ControlPlane } = {};
    const heartbeat = new HeartbeatLoop({
      client,
      nodeId: registration.nodeId,
      intervalMs: options.heartbeatIntervalMs,
      logger: log,
      reRegister: (signal) => register(client, registerRequest, { signal }),
      onHeartbeat: async () => {
        await announce();
        await options.afterHeartbeat?.();
      },
      onReRegistered: async (reply, previous) => {
        if (self.plane !== undefined) self.plane.#adopt(reply, previous, options);
        await settings(reply.nodeId);
        await announce();
      },
    });
    const plane = new ControlPlane(client, registration, heartbeat, log);
    self.plane = plane;
    // The caller adopts the node id (tunnel, beacon) in onRegistered before the first announcement.
    await options.onRegistered?.(registration);
    await announce();
    await settings(registration.nodeId);
    return plane;
  }

  /** The node id the registry gave us. */
  get nodeId(): number {
    return this.#registration.nodeId;
  }

  /** Our virtual address in text form. */
  get address(): string {
    return this.#registration.address;
  }

  /** The hostname the registry confirmed, if any. */
  get registration(): RegisterReply {
    return this.#registration;
  }

  /** Starts the heartbeat loop (§10.5 step 14). */
  startHeartbeat(): void {
    this.#heartbeat.start();
  }

  #adopt(reply: RegisterReply, previous: number, options: ControlPlaneOptions): void {
    this.#registration = reply;
    if (reply.nodeId !== previous) options.onNodeIdChanged?.(reply.nodeId, reply.address);
  }

  /** Stops heartbeats, deregisters (signed) and closes the registry connection (§10.6 steps 1 and 4). */
  stop(): Promise<void> {
    return this.#stopping ??= (async () => {
      await this.#heartbeat.stop();
      try {
        await deregister(this.client, this.nodeId, { timeoutMs: 2_000 });
      } catch (err) {
        this.#log.warn("deregister failed", { error: errorText(err) });
      }
      await this.client.close();
    })();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
