/**
 * `host:port` text as Go's `net.SplitHostPort` reads it: `[::1]:80`, `:9001` (any interface),
 * `example.com:80`. Only numeric ports are accepted.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** A host (empty = any interface) and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Splits `host:port`; throws `PilotError("invalid_argument")` naming what is wrong.
 *
 * @example
 * ```ts
 * import { splitHostPort } from "./host_port.ts";
 * const { host, port } = splitHostPort("[::1]:9001");
 * if (host !== "::1" || port !== 9001) throw new Error("split");
 * ```
 */
export function splitHostPort(text: string): HostPort {
  const bad = (why: string) =>
    new PilotError("invalid_argument", `address ${JSON.stringify(text.slice(0, 80))}: ${why}`, {
      hint: `write host:port, e.g. ":9001", "127.0.0.1:9001" or "[::1]:9001"`,
    });
  if (text.length > 300) throw bad("too long");
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw bad("missing port in address");
  let host = text.slice(0, colon);
  if (host.startsWith("[")) {
    if (!host.endsWith("]")) throw bad("missing ']' in address");
    host = host.slice(1, -1);
    if (host.includes("[") || host.includes("]")) throw bad("unexpected bracket in address");
  } else if (host.includes(":")) {
    throw bad("too many colons in address");
  } else if (host.includes("[") || host.includes("]")) {
    throw bad("unexpected bracket in address");
  }
  const portText = text.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw bad(`invalid port ${JSON.stringify(portText)}`);
  }
  return { host, port: Number(portText) };
}

/** A bind address for `Deno.listen*`: an empty host means every IPv4 interface. */
export function listenAddress(text: string): { hostname: string; port: number } {
  const { host, port } = splitHostPort(text);
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

/** Joins a host and port, bracketing IPv6 literals. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
