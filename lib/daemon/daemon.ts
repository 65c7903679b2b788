/**
 * The daemon: wiring and lifecycle only (control.md §10.5 start-up order, §10.6 shutdown order). Each
 * part lives in its own area — the tunnel, the control plane, the IPC server, the embedded servers —
 * and this module starts them in order, connects them and stops them in reverse, each step under a
 * deadline so one stuck part cannot hold the process.
 *
 * @module
 */

import { advertisedEndpoint, discoverEndpoint, type UdpAddr } from "../beacon/mod.ts";
import {
  generateIdentity,
  type Identity,
  identityPathInHome,
  loadOrCreateIdentity,
} from "../crypto/identity.ts";
import { errorText, PilotError } from "../errors.ts";
import { listenAddress, splitHostPort } from "../flags/host_port.ts";
import { IpcServer } from "../ipc/mod.ts";
import type { Logger } from "../log.ts";
import { formatAddress } from "../protocol/address.ts";
import { PORTS } from "../protocol/constants.ts";
import { decodePacket } from "../protocol/packet.ts";
import { lookup, resolve } from "../registry/mod.ts";
import { Stack } from "../transport/mod.ts";
import { Tunnel } from "../tunnel/mod.ts";
import { WebhookClient, type WebhookData } from "../webhook/mod.ts";
import type { DaemonConfig } from "./config.ts";
import { ControlPlane } from "./control_plane.ts";
import { type EmbeddedServers, startEmbeddedServers } from "./embedded.ts";
import { DataPlane } from "./data_plane.ts";
import { BuiltInServices } from "./services.ts";
import { buildInfo } from "./info.ts";
import { TrustService } from "./trust_service.ts";
import { createIpcHandler } from "./ipc_handler.ts";

/** How long a peer found at a new address gets to answer there before the relay takes over. */
const MOVED_PEER_GRACE_MS = 2_000;

/** Deadline of each shutdown step. */
const STOP_STEP_MS = 5_000;

/** Options of {@linkcode Daemon.start}. */
export interface DaemonOptions {
  config: DaemonConfig;
  logger: Logger;
}

/** A running node. */
export class Daemon implements AsyncDisposable {
  readonly config: DaemonConfig;
  readonly identity: Identity;
  readonly embedded: EmbeddedServers | undefined;
  readonly tunnel: Tunnel;
  readonly controlPlane: ControlPlane;
  readonly stack: Stack;
  readonly trust: TrustService;
  readonly services: BuiltInServices;
  readonly dataPlane: DataPlane;
  readonly ipc: IpcServer;
  readonly webhook: WebhookClient;
  readonly startedAt: number;
  #log: Logger;
  #hostname: string;
  #webhook: string;
  #stopping: Promise<void> | undefined;

  private constructor(parts: {
    config: DaemonConfig;
    identity: Identity;
    embedded: EmbeddedServers | undefined;
    tunnel: Tunnel;
    controlPlane: ControlPlane;
    stack: Stack;
    trust: TrustService;
    services: BuiltInServices;
    dataPlane: DataPlane;
    ipc: IpcServer;
    webhook: WebhookClient;
    log: Logger;
  }) {
    this.config = parts.config;
    this.identity = parts.identity;
    this.embedded = parts.embedded;
    this.tunnel = parts.tunnel;
    this.controlPlane = parts.controlPlane;
    this.stack = parts.stack;
    this.trust = parts.trust;
    this.services = parts.services;
    this.dataPlane = parts.dataPlane;
    this.ipc = parts.ipc;
    this.webhook = parts.webhook;
    this.#log = parts.log;
    this.#hostname = parts.controlPlane.registration.hostname ?? parts.config.hostname;
    this.#webhook = parts.config.webhook;
    this.startedAt = performance.now();
  }

  /** Starts a node in the order of control.md §10.5; on any failure, what was started is stopped. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config, logger: log } = options;
    const cleanup: Array<() => Promise<void>> = [];
    if (config.registryTls) {
      // Deno's TLS client cannot pin a certificate by fingerprint (no access to the peer certificate),
      // and talking plaintext when TLS was asked for would be worse than refusing to start.
      throw new PilotError("config_unsupported", "registry TLS is not supported by this daemon", {
        hint: "run the registry without -tls on a trusted network, or reach it through a TLS tunnel",
      });
    }
    try {
      await Deno.mkdir(config.home, { recursive: true, mode: 0o700 });
      let registry = config.registry;
      let beacon = config.beacon === "embedded" ? undefined : config.beacon;
      let embedded: EmbeddedServers | undefined;
      if (registry === undefined) {
        embedded = await startEmbeddedServers({
          dataDir: `${config.home}/registry`,
          logger: log,
          registryPort: config.embeddedPorts.registry,
          beaconPort: config.embeddedPorts.beacon,
        });
        const servers = embedded;
        cleanup.push(() => servers.close());
        registry = embedded.registryAddress;
        if (config.beacon === "embedded") beacon = embedded.beaconAddress;
        log.info("embedded registry and beacon running", {
          registry: embedded.registryAddress,
          beacon: embedded.beaconAddress,
        });
      }
      const beaconAddr = beacon === undefined ? undefined : udpAddr(beacon);
      const listen = listenAddress(config.listen);
      let discovered;
      if (config.endpoint === undefined && beaconAddr !== undefined) {
        const outcome = await discoverEndpoint({ listen, beacon: beaconAddr });
        if (outcome.ok) discovered = outcome.endpoint;
        else log.warn("beacon discover failed, using local addr", { error: outcome.error.message });
      }
      const identity = await loadNodeIdentity(config, log);
      // The tunnel's resolvers need the registry link, which exists only once the tunnel's port is known.
      const link: {
        plane?: ControlPlane;
        stack?: Stack;
        trust?: TrustService;
        nodeId: number;
        visibility: { public: boolean };
      } = { nodeId: 0, visibility: { public: config.public } };
      const webhook = new WebhookClient({
        url: config.webhook,
        // Events are stamped with the node id at emit time (§10.8), which is known from registration on.
        nodeId: () => link.nodeId,
        logger: log.child({ component: "webhook" }),
      });
      cleanup.push(() => webhook.close());
      // Every part reports its events by name; the webhook client knows which names are webhooks.
      const emit = (event: string, data?: WebhookData) => {
        webhook.emitNamed(event, data);
        log.debug("event", { event, ...data });
      };
      const tunnel = new Tunnel({
        listen,
        encrypt: config.encrypt,
        identity,
        beacon: beaconAddr,
        logger: log.child({ component: "tunnel" }),
        // Packets that arrive before the stack exists (between bind and registration) have no connection
        // to belong to; dropping them is what an unbound port does anyway.
        // Our own traffic never crosses the tunnel (it is delivered inside the process), so a packet from
        // the network claiming our address is forged: with ISN 0 a blind spoofer could otherwise feed
        // data to a port that trusts "ourselves" (the task service's local requests, the trust rule).
        onPacket: (packet, fromNode) => {
          if (packet.src.node === link.nodeId || fromNode === link.nodeId) return;
          link.stack?.receive(packet, fromNode);
        },
        onEvent: (name, data) => emit(name, data),
        resolvePeer: async (nodeId, signal) => {
          const plane = required(link.plane);
          // The tunnel words a failure as "resolve node N: <registry error>" (control.md §9.2).
          const reply = await resolve(plane.client, nodeId, plane.nodeId, { signal });
          if (reply.realAddr === "") {
            throw new PilotError("tunnel_no_address", `node ${nodeId} has no real address`);
          }
          return reply.realAddr;
        },
        lookupIdentityKey: async (nodeId, signal) => {
          const reply = await lookup(required(link.plane).client, nodeId, { signal });
          return reply.publicKey === "" ? undefined : Uint8Array.fromBase64(reply.publicKey);
        },
      });
      cleanup.push(() => tunnel.close());
      const listenAddr = config.endpoint ?? advertisedEndpoint(discovered, tunnel.localAddr);
      const plane = await ControlPlane.start({
        registry,
        identity,
        owner: config.owner,
        listenAddr,
        heartbeatIntervalMs: config.keepaliveMs,
        public: config.public,
        hostname: config.hostname,
        logger: log,
        announce: beaconAddr === undefined ? undefined : () => tunnel.announce(),
        afterHeartbeat: () => link.trust?.poll() ?? Promise.resolve(),
        onRegistered: (reply) => {
          link.nodeId = reply.nodeId;
          tunnel.setNodeId(reply.nodeId);
          log.info("daemon registered", { node_id: reply.nodeId, addr: reply.address, endpoint: listenAddr });
          emit("node.registered", { address: reply.address, endpoint: listenAddr });
        },
        onNodeIdChanged: (nodeId, address) => {
          link.nodeId = nodeId;
          tunnel.setNodeId(nodeId);
          log.warn("re-registered with new node ID", { node_id: nodeId, addr: address });
          emit("node.reregistered", { address });
        },
      });
      link.plane = plane;
      cleanup.push(() => plane.stop());
      const stack = new Stack({
        localAddress: { network: 0, node: plane.nodeId },
        // A private node admits only itself and trusted peers; the handshake port is open to all, or
        // nobody could ask for trust (issue #4; the reference gates only through registry resolve).
        admitSyn: (src, dstPort) =>
          link.visibility.public || dstPort === PORTS.HANDSHAKE || src.node === link.nodeId ||
          (link.trust?.manager.isTrusted(src.node) ?? false),
        // Packets to ourselves never leave the process: a private node reaches its own services, and
        // nothing asks the registry (which would refuse to resolve a private node) for our own address.
        send: (nodeId, bytes) => {
          if (nodeId !== link.nodeId) return tunnel.send(nodeId, bytes);
          const packet = decodePacket(bytes.slice());
          queueMicrotask(() => link.stack?.receive(packet, nodeId));
          return Promise.resolve();
        },
        config: {
          keepaliveMs: config.keepaliveMs,
          idleTimeoutMs: config.idleTimeoutMs,
          timeWaitMs: config.timeWaitMs,
          synRateLimit: config.synRateLimit,
          maxConnectionsPerPort: config.maxConnsPerPort,
          maxConnectionsTotal: config.maxConnsTotal,
        },
        beacon: beaconAddr !== undefined,
        isRelay: (nodeId) => tunnel.isRelay(nodeId),
        // Before the beacon relay, ask the registry again: a peer that restarted on another port is
        // then reached directly (the reference caches the first endpoint for ever).
        // Before the beacon relay, ask the registry again: a peer that restarted on another port is
        // then reached directly (the reference caches the first endpoint for ever). If the new place
        // does not answer either (a NAT), the relay still takes over a moment later.
        onRelayRequested: (nodeId) =>
          void tunnel.refreshEndpoint(nodeId).then((moved) => {
            if (!moved) return tunnel.setRelay(nodeId);
            const peer = formatAddress({ network: 0, node: nodeId });
            const timer = setTimeout(() => {
              // Any connection to the peer past SYN_SENT means its SYN|ACK reached us at the new place.
              const reached = link.stack?.connections().some((c) =>
                c.remote_addr === peer && c.state !== "SYN_SENT" && c.state !== "CLOSED"
              );
              if (!reached) tunnel.setRelay(nodeId);
            }, MOVED_PEER_GRACE_MS);
            Deno.unrefTimer(timer);
          }),
        onEvent: (name, data) => emit(name, data),
        logger: log.child({ component: "stack" }),
      });
      link.stack = stack;
      cleanup.push(() => stack.close());
      const trust = await TrustService.start({
        stack,
        identity,
        trustFile: await trustFilePath(config),
        registry: () => plane.client,
        nodeId: () => plane.nodeId,
        dropTunnel: (nodeId) => tunnel.removePeer(nodeId),
        emit: (event, data) => emit(event, data),
        logger: log,
      });
      link.trust = trust;
      cleanup.push(() => trust.close());
      const services = await BuiltInServices.start({
        stack,
        config,
        logger: log,
        emit,
        registry: () => plane.client,
        nodeId: () => plane.nodeId,
      });
      cleanup.push(() => services.close());
      // IPC starts before the daemon object exists (§10.5 step 11); its Info needs the object.
      const self: { daemon?: Daemon } = {};
      const sessions = { server: undefined as IpcServer | undefined };
      const dataPlane = new DataPlane({
        stack,
        sessions: () => sessions.server?.sessions ?? [],
        handshake: (msg) => trust.handle(msg),
        logger: log.child({ component: "ipc" }),
      });
      const ipc = await IpcServer.listen({
        path: config.socket,
        logger: log.child({ component: "ipc" }),
        handler: createIpcHandler({
          nodeId: () => plane.nodeId,
          registry: () => plane.client,
          info: () => required(self.daemon).info(),
          visibilityChanged: (isPublic) => {
            link.visibility.public = isPublic;
          },
          hostnameChanged: (hostname) => {
            if (self.daemon !== undefined) self.daemon.#hostname = hostname;
          },
          webhookChanged: (url) => {
            webhook.setUrl(url);
            if (self.daemon !== undefined) self.daemon.#webhook = url;
          },
        }, dataPlane),
      }).catch((err) => {
        throw new PilotError("ipc_listen_failed", `ipc: listen ${config.socket}: ${errorText(err)}`, {
          cause: err,
        });
      });
      sessions.server = ipc;
      const daemon = new Daemon({
        config,
        identity,
        embedded,
        tunnel,
        controlPlane: plane,
        stack,
        trust,
        services,
        dataPlane,
        ipc,
        webhook,
        log,
      });
      self.daemon = daemon;
      plane.startHeartbeat();
      log.info("daemon running", {
        node_id: plane.nodeId,
        addr: plane.address,
        socket: config.socket,
        registry,
        beacon: beacon ?? "",
        endpoint: listenAddr,
        tunnel: `${tunnel.localAddr.hostname}:${tunnel.localAddr.port}`,
        encrypt: config.encrypt,
      });
      return daemon;
    } catch (err) {
      for (const step of cleanup.reverse()) {
        await step().catch((stepErr) => log.warn("start-up cleanup failed", { error: errorText(stepErr) }));
      }
      throw err;
    }
  }

  /** The node id the registry gave us. */
  get nodeId(): number {
    return this.controlPlane.nodeId;
  }

  /** Our virtual address. */
  get address(): string {
    return this.controlPlane.address;
  }

  /** The Info JSON of control.md §9.3. */
  info(): Record<string, unknown> {
    return buildInfo({
      nodeId: this.nodeId,
      address: this.address,
      hostname: this.#hostname,
      uptimeMs: performance.now() - this.startedAt,
      encrypt: this.config.encrypt,
      identityConfigured: this.config.identity.kind !== "ephemeral",
      publicKey: this.identity.publicKey.toBase64(),
      owner: this.config.owner,
      webhook: this.#webhook,
      tunnel: this.tunnel,
      connections: this.stack.connections(),
      boundPorts: this.stack.listeningPorts().length,
    });
  }

  /** Stops the node in the order of control.md §10.6. Idempotent. */
  stop(): Promise<void> {
    return this.#stopping ??= (async () => {
      this.#log.info("shutting down");
      await this.#step("close connections", async () => {
        this.stack.shutdown();
        await this.services.close();
        await this.trust.close();
      });
      this.webhook.emit("node.deregistered");
      await this.#step("deregister", () => this.controlPlane.stop());
      await this.#step("close ipc", async () => {
        this.dataPlane.close();
        await this.ipc.close();
      });
      await this.#step("close stack", () => this.stack.close());
      await this.#step("close tunnel", () => this.tunnel.close());
      await this.#step("drain webhooks", () => this.webhook.close());
      const embedded = this.embedded;
      if (embedded !== undefined) await this.#step("stop embedded servers", () => embedded.close());
      this.#log.info("daemon stopped");
    })();
  }

  async #step(name: string, run: () => Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) =>
      timer = setTimeout(() => resolve("expired"), STOP_STEP_MS)
    );
    try {
      const outcome = await Promise.race([run().then(() => "done" as const), expired]);
      if (outcome === "expired") {
        this.#log.warn("shutdown step timed out", { step: name, timeout_ms: STOP_STEP_MS });
      }
    } catch (err) {
      this.#log.warn("shutdown step failed", { step: name, error: errorText(err) });
    } finally {
      clearTimeout(timer);
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** Loads (or creates) the identity named by the config, or makes an ephemeral one (control.md §8). */
async function loadNodeIdentity(config: DaemonConfig, log: Logger): Promise<Identity> {
  if (config.identity.kind === "ephemeral") return generateIdentity();
  const path = config.identity.kind === "file" ? config.identity.path : await identityPathInHome(config.home);
  const loaded = await loadOrCreateIdentity(path);
  if (loaded.created) log.info("identity created", { path });
  if (loaded.saveError !== undefined) {
    log.warn("identity not saved; the node id will change on restart", {
      path,
      error: loaded.saveError.message,
    });
  }
  return loaded.identity;
}

/** `trust.json` lives next to the identity file (control.md §7.7); an ephemeral identity keeps none. */
async function trustFilePath(config: DaemonConfig): Promise<string | undefined> {
  if (config.identity.kind === "ephemeral") return undefined;
  const identity = config.identity.kind === "file"
    ? config.identity.path
    : await identityPathInHome(config.home);
  const slash = identity.lastIndexOf("/");
  return `${slash === -1 ? "." : identity.slice(0, slash)}/trust.json`;
}

function udpAddr(text: string): UdpAddr {
  const { host, port } = splitHostPort(text);
  return { hostname: host === "" ? "127.0.0.1" : host, port };
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new PilotError("tunnel_not_registered", "the node is not registered yet");
  return value;
}
