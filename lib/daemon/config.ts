/**
 * The daemon's settings: the flags of control.md §10.1 (Go-style single dash or `--double-dash`), plus
 * `-no-tasksubmit` and `-home`, merged with a `-config` JSON file the way §10.2 says (the command line
 * wins). Zero or negative tuning values mean "use the default".
 *
 * Deviations from the reference binary, chosen so a node works out of the box and never talks to a
 * public server by accident:
 * - `-registry` defaults to empty, which runs an embedded registry and beacon on loopback;
 * - `-beacon` defaults to the embedded beacon when the registry is embedded, and to none otherwise;
 * - `-identity` defaults to the identity file in the pilot home (so the address is permanent);
 *   `-identity=""` given explicitly asks for an ephemeral identity as in the reference.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { applyConfig, loadConfigFile } from "../flags/config_file.ts";
import { boolFlag, durationFlag, formatUsage, intFlag, parseGoFlags, stringFlag } from "../flags/go_flags.ts";
import { type LogLevel, parseLogLevel } from "../log.ts";
import { EMBEDDED_BEACON_PORT, EMBEDDED_REGISTRY_PORT } from "./embedded.ts";
import { DEFAULT_SOCKET_PATH, defaultPilotHome } from "../permissions.ts";
import {
  IDLE_TIMEOUT_MS,
  KEEPALIVE_INTERVAL_MS,
  MAX_CONNECTIONS_PER_PORT,
  MAX_CONNECTIONS_TOTAL,
  SYN_RATE_GLOBAL_PER_SECOND,
  TIME_WAIT_MS,
} from "../protocol/constants.ts";

/** Task timer defaults (services.md §12), repeated from the task service so config stays import-light. */
const TASK_ACCEPT_TIMEOUT_MS = 60_000;
const TASK_EXPIRY_MS = 3_600_000;

/** The daemon's flags, by name. */
export const DAEMON_FLAGS = {
  config: stringFlag("", "JSON config file; its members set flags not given on the command line"),
  registry: stringFlag("", "registry host:port (empty: run an embedded registry and beacon on loopback)"),
  beacon: stringFlag("", "beacon host:port (empty: the embedded beacon, or none with an external registry)"),
  listen: stringFlag(":0", "tunnel UDP listen address"),
  socket: stringFlag(DEFAULT_SOCKET_PATH, "IPC unix socket path"),
  endpoint: stringFlag("", "fixed public endpoint host:port (skips beacon discovery)"),
  encrypt: boolFlag(true, "encrypt tunnel traffic (disable with -encrypt=false)"),
  "registry-tls": boolFlag(false, "use TLS to the registry"),
  "registry-fingerprint": stringFlag("", "SHA-256 fingerprint of the registry certificate (hex)"),
  identity: stringFlag("", "identity file (default: identity.key in the pilot home; empty: ephemeral)"),
  owner: stringFlag("", "owner (e-mail) for key recovery"),
  keepalive: durationFlag(0, "keepalive probe and registry heartbeat interval (default 30s)"),
  "idle-timeout": durationFlag(0, "idle connection timeout (default 2m0s)"),
  "syn-rate-limit": intFlag(0, "SYNs accepted per second (default 100)"),
  "max-conns-per-port": intFlag(0, "connections per port (default 1024)"),
  "max-conns-total": intFlag(0, "connections in total (default 4096)"),
  "time-wait": durationFlag(0, "TIME_WAIT duration (default 10s)"),
  public: boolFlag(false, "make the node public at start"),
  hostname: stringFlag("", "hostname to claim at start"),
  "no-echo": boolFlag(false, "do not run the echo service (port 7)"),
  "no-dataexchange": boolFlag(false, "do not run the data exchange service (port 1001)"),
  "no-eventstream": boolFlag(false, "do not run the event stream service (port 1002)"),
  "no-tasksubmit": boolFlag(false, "do not run the task submit service (port 1003)"),
  "task-accept-timeout": durationFlag(0, "cancel a received task not accepted within this (default 1m0s)"),
  "task-expiry": durationFlag(0, "expire a task waiting at the head of the queue longer (default 1h0m0s)"),
  webhook: stringFlag("", "webhook URL"),
  "log-level": stringFlag("info", "debug, info, warn or error"),
  "log-format": stringFlag("text", "text or json"),
  home: stringFlag("", "pilot home (default $PILOT_HOME, else ~/.pilot)"),
  "embedded-ports": stringFlag(
    "",
    "first ports of the embedded registry and beacon, REGISTRY,BEACON (default 9000,9001; 0 = any free)",
  ),
} as const;

/** The resolved settings of one daemon. */
export interface DaemonConfig {
  /** Registry `host:port`; `undefined` runs the embedded registry. */
  registry: string | undefined;
  /** Beacon `host:port`; `"embedded"` for the in-process one; `undefined` disables the beacon. */
  beacon: string | "embedded" | undefined;
  listen: string;
  socket: string;
  endpoint: string | undefined;
  encrypt: boolean;
  registryTls: boolean;
  registryFingerprint: string;
  /** Where the node identity lives (control.md §8). */
  identity: IdentitySource;
  owner: string;
  keepaliveMs: number;
  idleTimeoutMs: number;
  synRateLimit: number;
  maxConnsPerPort: number;
  maxConnsTotal: number;
  timeWaitMs: number;
  public: boolean;
  hostname: string;
  services: { echo: boolean; dataExchange: boolean; eventStream: boolean; taskSubmit: boolean };
  /** Task timers (services.md §6.8); the flags exist so tests need not wait a minute or an hour. */
  tasks: { acceptTimeoutMs: number; expiryMs: number };
  webhook: string;
  logLevel: LogLevel;
  logFormat: "text" | "json";
  home: string;
  /** First ports the embedded registry and beacon try; 0 = any free port. */
  embeddedPorts: { registry: number; beacon: number };
}

/**
 * The identity file given with `-identity`, the one already in the pilot home (`identity.key`, else
 * `identity.json`, else a new `identity.key`), or none at all (`-identity=""`: a fresh one every start).
 */
export type IdentitySource = { kind: "file"; path: string } | { kind: "home" } | { kind: "ephemeral" };

/** What {@linkcode parseDaemonArgs} returns. */
export type DaemonArgs = { kind: "config"; config: DaemonConfig } | { kind: "help"; usage: string };

/** The usage text printed for `-h` and for a bad command line. */
export function daemonUsage(): string {
  return formatUsage("daemon", DAEMON_FLAGS);
}

/**
 * Parses the daemon's command line and its `-config` file.
 *
 * @example
 * ```ts
 * import { parseDaemonArgs } from "./config.ts";
 * const parsed = await parseDaemonArgs(["--socket", "/tmp/a.sock", "-encrypt=false"], () => undefined);
 * if (parsed.kind !== "config" || parsed.config.encrypt || parsed.config.socket !== "/tmp/a.sock") {
 *   throw new Error("parsed");
 * }
 * ```
 */
export async function parseDaemonArgs(
  argv: readonly string[],
  env: (name: string) => string | undefined,
): Promise<DaemonArgs> {
  const parsed = parseGoFlags(DAEMON_FLAGS, argv);
  if (parsed.kind === "help") return { kind: "help", usage: daemonUsage() };
  if (parsed.args.length > 0) {
    throw new PilotError("invalid_argument", `unexpected argument: ${parsed.args[0]}`, {
      hint: "the daemon takes flags only; run with -h for the list",
    });
  }
  let values = parsed.values;
  if (values.config !== "") {
    let file: Record<string, unknown>;
    try {
      file = await loadConfigFile(values.config);
    } catch (err) {
      throw new PilotError("config_invalid", `load config: ${err instanceof Error ? err.message : err}`, {
        cause: err,
      });
    }
    values = applyConfig(DAEMON_FLAGS, parsed, file);
  }
  const home = values.home !== "" ? values.home : defaultPilotHome(env);
  const registry = values.registry === "" ? undefined : values.registry;
  const identityExplicit = parsed.explicit.has("identity");
  return {
    kind: "config",
    config: {
      registry,
      beacon: values.beacon !== "" ? values.beacon : registry === undefined ? "embedded" : undefined,
      listen: values.listen,
      socket: values.socket,
      endpoint: values.endpoint === "" ? undefined : values.endpoint,
      encrypt: values.encrypt,
      registryTls: values["registry-tls"],
      registryFingerprint: values["registry-fingerprint"],
      identity: values.identity !== ""
        ? { kind: "file", path: values.identity }
        : identityExplicit
        ? { kind: "ephemeral" }
        : { kind: "home" },
      owner: values.owner,
      keepaliveMs: orDefault(values.keepalive, KEEPALIVE_INTERVAL_MS),
      idleTimeoutMs: orDefault(values["idle-timeout"], IDLE_TIMEOUT_MS),
      synRateLimit: orDefault(values["syn-rate-limit"], SYN_RATE_GLOBAL_PER_SECOND),
      maxConnsPerPort: orDefault(values["max-conns-per-port"], MAX_CONNECTIONS_PER_PORT),
      maxConnsTotal: orDefault(values["max-conns-total"], MAX_CONNECTIONS_TOTAL),
      timeWaitMs: orDefault(values["time-wait"], TIME_WAIT_MS),
      public: values.public,
      hostname: values.hostname,
      services: {
        echo: !values["no-echo"],
        dataExchange: !values["no-dataexchange"],
        eventStream: !values["no-eventstream"],
        taskSubmit: !values["no-tasksubmit"],
      },
      tasks: {
        acceptTimeoutMs: orDefault(values["task-accept-timeout"], TASK_ACCEPT_TIMEOUT_MS),
        expiryMs: orDefault(values["task-expiry"], TASK_EXPIRY_MS),
      },
      webhook: values.webhook,
      logLevel: parseLogLevel(values["log-level"]),
      logFormat: values["log-format"] === "json" ? "json" : "text",
      home,
      embeddedPorts: parseEmbeddedPorts(values["embedded-ports"]),
    },
  };
}

/** `""` → the reference's ports; `"0"` → any free ones; `"R,B"` → those two. */
function parseEmbeddedPorts(text: string): { registry: number; beacon: number } {
  if (text === "") return { registry: EMBEDDED_REGISTRY_PORT, beacon: EMBEDDED_BEACON_PORT };
  const parts = text.split(",").map((part) => part.trim());
  const ports = parts.map(Number);
  const valid = (parts.length === 1 || parts.length === 2) &&
    ports.every((port, i) => /^\d{1,5}$/.test(parts[i]) && port <= 0xFFFF);
  if (!valid) {
    throw new PilotError(
      "invalid_argument",
      `invalid value ${JSON.stringify(text)} for flag -embedded-ports`,
      {
        hint: "give REGISTRY,BEACON ports, e.g. 9000,9001, or 0 for any free ports",
      },
    );
  }
  return { registry: ports[0], beacon: ports[1] ?? ports[0] };
}

/** Zero or negative tuning values mean "use the default" (control.md §10.1). */
function orDefault(value: number, fallback: number): number {
  return value > 0 ? value : fallback;
}
