/**
 * Resident memory of running daemons as their Info reports it over IPC (`rss_bytes`, control.md §9.3),
 * sampled while a benchmark works, so a figure can stand next to the memory it cost.
 *
 * @module
 */

import { IpcClient } from "../../lib/ipc/mod.ts";

/** Something with an IPC socket, such as a `TestDaemon`. */
export interface DaemonSocket {
  socket: string;
}

/** A running sampler; {@linkcode stop} ends it and gives each daemon's highest RSS in bytes. */
export interface RssSampler {
  stop(): Promise<number[]>;
}

/** `rss_bytes` of one Info reply, NaN when the daemon did not report it. */
export function rssOf(info: unknown): number {
  const value = typeof info === "object" && info !== null ? Reflect.get(info, "rss_bytes") : undefined;
  return typeof value === "number" ? value : NaN;
}

/**
 * Asks each daemon for Info every `intervalMs` until stopped. A busy daemon answers late, which only
 * spaces the samples out: the next round starts when every answer of this one is in.
 */
export async function sampleDaemonRss(
  daemons: readonly DaemonSocket[],
  intervalMs = 200,
): Promise<RssSampler> {
  const clients = await Promise.all(daemons.map((d) => IpcClient.connect(d.socket)));
  const peaks = daemons.map(() => 0);
  const stopped = Promise.withResolvers<void>();
  let running = true;
  const sampling = (async () => {
    while (running) {
      const infos = await Promise.all(clients.map((c) => c.info().catch(() => undefined)));
      infos.forEach((info, i) => peaks[i] = Math.max(peaks[i], rssOf(info) || 0));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        stopped.promise,
        new Promise((resolve) => timer = setTimeout(resolve, intervalMs)),
      ]);
      clearTimeout(timer);
    }
  })();
  return {
    stop: async () => {
      running = false;
      stopped.resolve();
      await sampling;
      await Promise.all(clients.map((c) => c.close()));
      return peaks;
    },
  };
}
