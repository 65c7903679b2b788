/**
 * The built-in services a daemon binds at start (control.md §10.5 step 13): echo on 7, data exchange on
 * 1001, event stream on 1002, task submit on 1003, each unless its `-no-*` switch is given. A disabled
 * service's port stays unbound, so a peer's dial is answered with RST and fails as "connection refused"
 * (services.md §11). A port that cannot be bound is a warning, as in the reference.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { formatAddress } from "../protocol/address.ts";
import { PORTS } from "../protocol/constants.ts";
import { DataExchangeServer } from "../services/data_exchange/mod.ts";
import { serveEcho } from "../services/echo/mod.ts";
import { EventBroker, serveEventStream } from "../services/event_stream/mod.ts";
import { TaskService } from "../services/task_submit/mod.ts";
import { getPoloScore, type RegistryClient, updatePoloScore } from "../registry/mod.ts";
import type { OverlayConn, Stack } from "../transport/mod.ts";
import type { WebhookData } from "../webhook/mod.ts";
import type { DaemonConfig } from "./config.ts";

/** Reports a service event by its webhook name (control.md §10.8). */
export type ServiceEmit = (event: string, data: WebhookData) => void;

/** Options of {@linkcode BuiltInServices.start}. */
export interface BuiltInServicesOptions {
  stack: Stack;
  config: DaemonConfig;
  logger: Logger;
  emit: ServiceEmit;
  /** The registry link (polo scores for the task service); absent, every task submission is accepted. */
  registry?: () => RegistryClient;
  /** Our node id, which a re-registration may change. */
  nodeId?: () => number;
}

/** The running built-in services of one daemon. */
export class BuiltInServices implements AsyncDisposable {
  readonly broker: EventBroker;
  readonly ports: readonly number[];
  #abort = new AbortController();
  #running: Promise<void>[] = [];
  #dataExchange: DataExchangeServer<OverlayConn> | undefined;
  /** The task-submit service on 1003, which owns the task queue (issue #6). */
  readonly tasks: TaskService<OverlayConn> | undefined;

  private constructor(
    broker: EventBroker,
    ports: number[],
    running: Promise<void>[],
    abort: AbortController,
    dataExchange: DataExchangeServer<OverlayConn> | undefined,
    tasks: TaskService<OverlayConn> | undefined,
  ) {
    this.broker = broker;
    this.ports = ports;
    this.#running = running;
    this.#abort = abort;
    this.#dataExchange = dataExchange;
    this.tasks = tasks;
  }

  /** Binds every enabled service on `stack`; data lands in the pilot home. */
  static async start(options: BuiltInServicesOptions): Promise<BuiltInServices> {
    const { stack, config, logger: log, emit } = options;
    const abort = new AbortController();
    const signal = abort.signal;
    const broker = new EventBroker({ logger: log.child({ service: "eventstream" }) });
    const ports: number[] = [];
    const running: Promise<void>[] = [];
    const bind = (
      name: string,
      port: number,
      serve: (listener: ReturnType<Stack["listen"]>) => Promise<void>,
    ) => {
      try {
        const listener = stack.listen(port);
        signal.addEventListener("abort", () => listener.close(), { once: true });
        ports.push(port);
        running.push(
          serve(listener).catch((err) => {
            log.warn("service stopped", {
              service: name,
              error: err instanceof Error ? err.message : String(err),
            });
          }),
        );
      } catch (err) {
        log.warn("service not started", {
          service: name,
          port,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    };
    if (config.services.echo) {
      bind("echo", PORTS.ECHO, (l) => serveEcho(l, { logger: log.child({ service: "echo" }), signal }));
    }
    let dataExchange: DataExchangeServer<OverlayConn> | undefined;
    if (config.services.dataExchange) {
      try {
        const listener = stack.listen(PORTS.DATA_EXCHANGE);
        ports.push(PORTS.DATA_EXCHANGE);
        dataExchange = await DataExchangeServer.start(listener, {
          home: config.home,
          peerOf: (conn) => ({
            address: formatAddress(conn.remoteAddr.address),
            nodeId: conn.remoteAddr.address.node,
          }),
          logger: log.child({ service: "dataexchange" }),
          onStored: (stored) =>
            stored.kind === "message"
              ? emit("message.received", { type: stored.type, from: stored.from.address, size: stored.bytes })
              : emit("file.received", { filename: stored.filename, size: stored.bytes, path: stored.path }),
        });
      } catch (err) {
        log.warn("service not started", {
          service: "dataexchange",
          port: PORTS.DATA_EXCHANGE,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    if (config.services.eventStream) {
      bind(
        "eventstream",
        PORTS.EVENT_STREAM,
        (l) => serveEventStream(l, { broker, logger: log.child({ service: "eventstream" }), signal }),
      );
    }
    let tasks: TaskService<OverlayConn> | undefined;
    if (config.services.taskSubmit) {
      try {
        tasks = await startTaskService(options);
        ports.push(PORTS.TASK_SUBMIT);
      } catch (err) {
        log.warn("service not started", {
          service: "tasksubmit",
          port: PORTS.TASK_SUBMIT,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
    return new BuiltInServices(broker, ports, running, abort, dataExchange, tasks);
  }

  /** Stops accepting and ends the services' connections. */
  async close(): Promise<void> {
    this.#abort.abort();
    // Durable state first (control.md §10.6): the data exchange finishes what it is saving.
    await this.#dataExchange?.close();
    await this.tasks?.close();
    await Promise.all(this.#running);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The task service on 1003: peers are the stream's remote node, scores come from the registry. */
async function startTaskService(options: BuiltInServicesOptions): Promise<TaskService<OverlayConn>> {
  const { stack, config, registry } = options;
  const nodeId = options.nodeId ?? (() => stack.localAddress.node);
  const self = () => {
    const address = { network: stack.localAddress.network, node: nodeId() };
    return { nodeId: address.node, address: formatAddress(address) };
  };
  const listener = stack.listen(PORTS.TASK_SUBMIT);
  return await TaskService.start(listener, {
    home: config.home,
    self,
    peerOf: (conn) => ({
      nodeId: conn.remoteAddr.address.node,
      address: formatAddress(conn.remoteAddr.address),
    }),
    dial: (address) => stack.dial(address, PORTS.TASK_SUBMIT),
    scores: registry === undefined ? undefined : {
      get: (id) => getPoloScore(registry(), id),
      updateOwn: (delta) => updatePoloScore(registry(), nodeId(), delta),
    },
    acceptTimeoutMs: config.tasks.acceptTimeoutMs,
    expiryMs: config.tasks.expiryMs,
    logger: options.logger.child({ service: "tasksubmit" }),
  });
}
