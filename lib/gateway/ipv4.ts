/**
 * IPv4 addresses and subnets as the gateway uses them (services.md §9): parsing with the texts of the
 * reference's Go `net` package (`invalid CIDR address: <s>`), formatting, containment and the first
 * automatic IP. Addresses are unsigned 32-bit numbers.
 *
 * IPv4 only: the gateway listens on loopback aliases, and an IPv6 subnet or IP is refused as malformed
 * (the reference would accept the syntax and then fail later, with other texts).
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** A parsed subnet: network number (host bits cleared) and prefix length. */
export interface Ipv4Subnet {
  /** Network address, host bits zero. */
  readonly network: number;
  /** Prefix length, 0–32. */
  readonly prefix: number;
}

// Longest text a dotted quad or a CIDR can have; longer input is refused before it is scanned.
const MAX_CIDR_TEXT = 19; // 255.255.255.255/032

/**
 * Parses a dotted quad as Go's `net.ParseIP` does for IPv4: four decimal octets, 0–255, no leading
 * zeros, nothing else. Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { parseIpv4 } from "./ipv4.ts";
 * if (parseIpv4("10.4.0.1") !== 0x0A040001 || parseIpv4("10.4.0.01") !== undefined) throw new Error();
 * ```
 */
export function parseIpv4(text: string): number | undefined {
  if (text.length > 15) return undefined;
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value >>> 0;
}

/** `a.b.c.d` of a 32-bit address. */
export function formatIpv4(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 0xFF}.${(ip >>> 8) & 0xFF}.${ip & 0xFF}`;
}

/** The netmask of a prefix length, as an unsigned 32-bit number. */
function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xFFFFFFFF << (32 - prefix)) >>> 0;
}

/**
 * Parses `a.b.c.d/n` as Go's `net.ParseCIDR` does (host bits are cleared, leading zeros in the prefix
 * length are accepted).
 *
 * @throws {PilotError} `service_gateway_bad_subnet`, `invalid CIDR address: <s>`.
 * @example
 * ```ts
 * import { formatSubnet, parseSubnet } from "./ipv4.ts";
 * if (formatSubnet(parseSubnet("10.4.9.9/16")) !== "10.4.0.0/16") throw new Error();
 * ```
 */
export function parseSubnet(text: string): Ipv4Subnet {
  const bad = () => new PilotError("service_gateway_bad_subnet", `invalid CIDR address: ${text}`);
  if (text.length > MAX_CIDR_TEXT) throw bad();
  const slash = text.indexOf("/");
  if (slash === -1) throw bad();
  const ip = parseIpv4(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > 32) throw bad();
  const prefix = Number(bits);
  return { network: (ip & maskOf(prefix)) >>> 0, prefix };
}

/** `network/prefix`, the canonical form Go prints for a subnet. */
export function formatSubnet(subnet: Ipv4Subnet): string {
  return `${formatIpv4(subnet.network)}/${subnet.prefix}`;
}

/** True when `ip` lies inside `subnet`. */
export function subnetContains(subnet: Ipv4Subnet, ip: number): boolean {
  return ((ip & maskOf(subnet.prefix)) >>> 0) === subnet.network;
}

/**
 * The first automatic IP (§9): the subnet's network address with its last byte set to 1. For a prefix
 * longer than 24 bits whose network does not end in `.0`, that IP lies outside the subnet, so the
 * subnet is exhausted at once, as in the reference.
 */
export function firstAutoIp(subnet: Ipv4Subnet): number {
  return ((subnet.network & 0xFFFFFF00) | 1) >>> 0;
}

/** True for 127.0.0.0/8, which Linux already routes to the loopback interface as a whole. */
export function isLoopbackRange(ip: number): boolean {
  return ip >>> 24 === 127;
}
