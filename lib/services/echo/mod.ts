/**
 * The echo service (port 7) and the client exchanges `pilotctl ping` and `pilotctl bench` run on it.
 *
 * @example
 * ```ts
 * import { benchEcho, pingOnce, serveEcho } from "./mod.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const served = serveEcho(listener);
 * const ping = await pingOnce(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }), 0);
 * const bench = await benchEcho(await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }), { bytes: 8192 });
 * if (!("bytes" in ping) || bench.recvBytes !== 8192) throw new Error("echo answers");
 * listener.close();
 * await served;
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export { echoConnection, serveEcho, type ServeEchoOptions } from "./server.ts";
export { pingOnce, type PingOptions, pingPayload, type PingResult, rttMsOf } from "./ping.ts";
export {
  benchChunk,
  benchEcho,
  type BenchOptions,
  type BenchProgress,
  type BenchResult,
} from "./bench_exchange.ts";
