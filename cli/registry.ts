/**
 * The standalone registry program: the reference `registry` binary's flags (control.md §3.16, cli.md
 * §19.1) in Go flag syntax (`-name value`, `-name=value`, `--name`), plus ours: `-data-dir` (folder of
 * the default KV store), `-http` (dashboard, §3.15) and `-import-snapshot` (a reference JSON store).
 * `-store` names our Deno KV store (a path, a KV Connect URL or `:memory:`). TLS and replication flags
 * are accepted and ignored with a warning. Stops cleanly on SIGINT/SIGTERM.
 *
 * @module
 */

import { isPilotError } from "../lib/errors.ts";
import { boolFlag, parseProgramFlags, stopRequested, stringFlag } from "../lib/flags/mod.ts";
import { createLogger, parseLogLevel } from "../lib/log.ts";
import { defaultPilotHome } from "../lib/permissions.ts";
import { startRegistry } from "../lib/registry/mod.ts";

/** The flags of the registry program (control.md §3.16, cli.md §19.1) plus ours. */
export const REGISTRY_FLAGS = {
  addr: stringFlag(":9000", "TCP listen address"),
  beacon: stringFlag("34.71.57.205:9001", "beacon address (stored, unused)"),
  store: stringFlag("", "Deno KV store: path, KV Connect URL or :memory: (default <data-dir>/registry.kv)"),
  "data-dir": stringFlag("", "folder of the default store (default $PILOT_HOME/registry)"),
  "import-snapshot": stringFlag("", "reference JSON snapshot to import before serving"),
  http: stringFlag("", "dashboard and metrics HTTP address (off when empty)"),
  tls: boolFlag(false, "serve TLS (not supported: ignored)"),
  "tls-cert": stringFlag("", "TLS certificate file (ignored)"),
  "tls-key": stringFlag("", "TLS key file (ignored)"),
  standby: stringFlag("", "primary to replicate from (not supported: ignored)"),
  "admin-token": stringFlag("", "network-creation token (networks are WIP)"),
  "log-level": stringFlag("info", "log level: debug, info, warn, error"),
  "log-format": stringFlag("text", "log format: text or json"),
  config: stringFlag("", "JSON config file whose members fill unset flags"),
} as const;

/** Runs the registry with command-line `args`; resolves to the exit status. */
export async function runRegistry(
  args: readonly string[],
  options: { signal?: AbortSignal } = {},
): Promise<number> {
  const flags = await parseProgramFlags("registry", REGISTRY_FLAGS, args);
  if (flags.kind === "exit") return flags.code;
  const values = flags.values;
  const log = createLogger({
    level: parseLogLevel(values["log-level"]),
    format: values["log-format"] === "json" ? "json" : "text",
  });
  if (values.tls) log.warn("tls is not supported by this registry; serving plaintext");
  if (values.standby !== "") log.warn("standby replication is not supported; serving as a primary");
  const dataDir = values["data-dir"] !== ""
    ? values["data-dir"]
    : `${defaultPilotHome((name) => Deno.env.get(name))}/registry`;
  let registry;
  try {
    registry = await startRegistry({
      addr: values.addr,
      store: values.store,
      dataDir,
      importSnapshotPath: values["import-snapshot"],
      dashboardAddr: values.http,
      logger: log,
    });
  } catch (err) {
    const text = isPilotError(err) ? err.message : String(err);
    log.error(text.startsWith("listen:") ? text : `registry start: ${text}`);
    return 1;
  }
  // Listening for signals before saying "ready": a supervisor may signal as soon as it reads that line.
  const stop = stopRequested(options.signal);
  log.info("registry listening", { addr: registry.address, transport: "plaintext" });
  await stop;
  log.info("shutting down");
  await registry.close();
  return 0;
}

if (import.meta.main) Deno.exit(await runRegistry(Deno.args));
