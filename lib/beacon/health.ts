/**
 * The beacon's optional HTTP health endpoint (`-health`, control.md §5.3): `GET /healthz` answers
 * `200 ok`, or `503 unhealthy` once the beacon is draining.
 *
 * @module
 */

import type { UdpAddr } from "../net/mod.ts";

/** Options of {@linkcode startHealthServer}. */
export interface HealthServerOptions {
  hostname: string;
  port: number;
  /** False while shutting down. */
  healthy: () => boolean;
}

/** A running health endpoint. */
export interface HealthServer extends AsyncDisposable {
  readonly addr: UdpAddr;
  close(): Promise<void>;
}

/** Starts the health endpoint. */
export function startHealthServer(options: HealthServerOptions): HealthServer {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {
      // The caller logs the bound address; Deno's default would print to stdout.
    },
  }, (request) => {
    const url = new URL(request.url);
    if (url.pathname !== "/healthz") return new Response("not found\n", { status: 404 });
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405 });
    }
    return options.healthy()
      ? new Response("ok", { status: 200 })
      : new Response("unhealthy", { status: 503 });
  });
  const addr = server.addr;
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= server.shutdown());
  return {
    addr: { hostname: addr.hostname, port: addr.port },
    close,
    [Symbol.asyncDispose]: close,
  };
}
