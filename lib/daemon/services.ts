/**
 * The built-in services a daemon binds at start (control.md §10.5 step 13): echo on 7, data exchange on
 * 1001, event stream on 1002, task submit on 1003, each unless its `-no-*` switch is given. A disabled
 * service's port stays unbound, so a peer's dial is answered with RST and fails as "connection refused"
 * (services.md §11). A port that cannot be bound is a warning, as in the reference.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { PORTS } from "../protocol/constants.ts";
import { serveEcho } from "../services/echo/mod.ts";
import { EventBroker, serveEventStream } from "../services/event_stream/mod.ts";
import type { Stack } from "../transport/stack.ts";
import type { DaemonConfig } from "./config.ts";

/** The running built-in services of one daemon. */
export class BuiltInServices implements AsyncDisposable {
  readonly broker: EventBroker;
  readonly ports: readonly number[];
  #abort = new AbortController();
  #running: Promise<void>[] = [];

  private constructor(
    broker: EventBroker,
    ports: number[],
    running: Promise<void>[],
    abort: AbortController,
  ) {
    this.broker = broker;
    this.ports = ports;
    this.#running = running;
    this.#abort = abort;
  }

  /** Binds every enabled service on `stack`. */
  static start(stack: Stack, config: DaemonConfig, log: Logger): BuiltInServices {
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
    if (config.services.eventStream) {
      bind(
        "eventstream",
        PORTS.EVENT_STREAM,
        (l) => serveEventStream(l, { broker, logger: log.child({ service: "eventstream" }), signal }),
      );
    }
    return new BuiltInServices(broker, ports, running, abort);
  }

  /** Stops accepting and ends the services' connections. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#running);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
