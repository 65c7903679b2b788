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
import { createLogger, parseLogLevel } from "../lib/log.ts";
import { defaultPilotHome } from "../lib/permissions.ts";
import { startRegistry } from "../lib/registry/mod.ts";

type FlagKind = "string" | "bool";

interface FlagSpec {
  kind: FlagKind;
  default: string;
  usage: string;
}

/** The flags of the registry program, in usage order. */
export const REGISTRY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "addr": { kind: "string", default: ":9000", usage: "TCP listen address" },
  "beacon": { kind: "string", default: "34.71.57.205:9001", usage: "beacon address (stored, unused)" },
  "store": {
    kind: "string",
    default: "",
    usage: "Deno KV store: path, KV Connect URL or :memory: (default <data-dir>/registry.kv)",
  },
  "data-dir": {
    kind: "string",
    default: "",
    usage: "folder of the default store (default $PILOT_HOME/registry)",
  },
  "import-snapshot": {
    kind: "string",
    default: "",
    usage: "reference JSON snapshot to import before serving",
  },
  "http": { kind: "string", default: "", usage: "dashboard and metrics HTTP address (off when empty)" },
  "tls": { kind: "bool", default: "false", usage: "serve TLS (not supported: ignored)" },
  "tls-cert": { kind: "string", default: "", usage: "TLS certificate file (ignored)" },
  "tls-key": { kind: "string", default: "", usage: "TLS key file (ignored)" },
  "standby": { kind: "string", default: "", usage: "primary to replicate from (not supported: ignored)" },
  "admin-token": { kind: "string", default: "", usage: "network-creation token (networks are WIP)" },
  "log-level": { kind: "string", default: "info", usage: "log level: debug, info, warn, error" },
  "log-format": { kind: "string", default: "text", usage: "log format: text or json" },
  "config": { kind: "string", default: "", usage: "JSON config file whose members fill unset flags" },
};

/** Result of {@linkcode parseRegistryFlags}. */
export type ParsedFlags =
  | { kind: "ok"; values: Record<string, string>; explicit: Set<string> }
  | { kind: "help" }
  | { kind: "error"; message: string };

/** Go flag syntax: stops at the first non-flag or `--`; bool flags take no separate value. */
export function parseRegistryFlags(args: readonly string[]): ParsedFlags {
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(REGISTRY_FLAGS)) values[name] = spec.default;
  const explicit = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--" || !arg.startsWith("-") || arg === "-") break;
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    if (name === "h" || name === "help") return { kind: "help" };
    const spec = Object.hasOwn(REGISTRY_FLAGS, name) ? REGISTRY_FLAGS[name] : undefined;
    if (spec === undefined) return { kind: "error", message: `flag provided but not defined: -${name}` };
    let value: string;
    if (eq !== -1) value = body.slice(eq + 1);
    else if (spec.kind === "bool") value = "true";
    else if (i + 1 < args.length) value = args[++i];
    else return { kind: "error", message: `flag needs an argument: -${name}` };
    if (spec.kind === "bool" && !/^(true|false|1|0|t|f|TRUE|FALSE|True|False)$/.test(value)) {
      return {
        kind: "error",
        message: `invalid boolean value ${JSON.stringify(value)} for -${name}: parse error`,
      };
    }
    values[name] = value;
    explicit.add(name);
  }
  return { kind: "ok", values, explicit };
}

/** Fills flags not given on the command line from a `-config` object (control.md §10.2). */
export function applyConfig(values: Record<string, string>, explicit: Set<string>, config: unknown): void {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return;
  for (const [key, value] of Object.entries(config)) {
    const name = Object.hasOwn(REGISTRY_FLAGS, key) ? key : key.replaceAll("_", "-");
    if (!Object.hasOwn(REGISTRY_FLAGS, name) || explicit.has(name)) continue;
    if (typeof value === "string") values[name] = value;
    else if (typeof value === "boolean") values[name] = String(value);
    else if (typeof value === "number" && REGISTRY_FLAGS[name].kind === "string") {
      values[name] = String(value);
    }
  }
}

function usage(): string {
  const lines = ["Usage of registry:"];
  for (const [name, spec] of Object.entries(REGISTRY_FLAGS)) {
    lines.push(`  -${name}${spec.kind === "string" ? " string" : ""}`);
    lines.push(
      `    \t${spec.usage}${
        spec.default !== "" && spec.default !== "false" ? ` (default ${JSON.stringify(spec.default)})` : ""
      }`,
    );
  }
  return lines.join("\n") + "\n";
}

// Usage and fatal pre-logging errors are this program's own terminal output (the reference prints them
// through Go's flag package the same way), so they are written here rather than through a Logger.
function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let offset = 0; offset < bytes.byteLength;) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseRegistryFlags(args);
  if (parsed.kind === "help") {
    writeStderr(usage());
    return 0;
  }
  if (parsed.kind === "error") {
    writeStderr(`${parsed.message}\n${usage()}`);
    return 2;
  }
  const { values, explicit } = parsed;
  if (values.config !== "") {
    try {
      applyConfig(values, explicit, JSON.parse(await Deno.readTextFile(values.config)));
    } catch (err) {
      writeStderr(`load config: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  const log = createLogger({
    level: parseLogLevel(values["log-level"]),
    format: values["log-format"] === "json" ? "json" : "text",
  });
  if (values.tls === "true" || values.tls === "1" || values.tls === "t") {
    log.warn("tls is not supported by this registry; serving plaintext");
  }
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
  log.info("registry listening", { addr: registry.address, transport: "plaintext" });
  const stopped = Promise.withResolvers<void>();
  const onSignal = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stopped.promise;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  log.info("shutting down");
  await registry.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
