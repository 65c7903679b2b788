/**
 * The gateway's mapping table (services.md §9): local IPv4 address ⇄ overlay address, one to one, with
 * automatic assignment inside the subnet. Pure state, no I/O: the gateway opens listeners for what this
 * table hands out.
 *
 * Automatic IPs come from a cursor that starts at the subnet base with its last byte set to 1 and only
 * moves forward, skipping IPs already mapped (`.0` and `.255` are handed out too). An IP freed by
 * `unmap` is therefore not handed out again automatically; it can still be mapped explicitly.
 *
 * @module
 */

import { PilotError } from "../errors.ts";
import { type Address, formatAddress } from "../protocol/address.ts";
import { firstAutoIp, formatIpv4, formatSubnet, type Ipv4Subnet, parseIpv4, subnetContains } from "./ipv4.ts";

/** One mapping. */
export interface GatewayMapping {
  /** The local IPv4 address, dotted. */
  readonly localIp: string;
  readonly address: Address;
}

/** Most mappings one table holds: each one costs a listener per port (file descriptors). */
export const MAX_MAPPINGS = 4096;

/** The result of {@linkcode MappingTable.map}. */
export interface MapOutcome {
  readonly mapping: GatewayMapping;
  /** False when the address was mapped already and its existing IP is returned. */
  readonly isNew: boolean;
}

/** Local IP ⇄ overlay address. Not safe for concurrent use across awaits (it has none). */
export class MappingTable {
  readonly subnet: Ipv4Subnet;
  #byIp = new Map<number, GatewayMapping>();
  #byAddress = new Map<string, GatewayMapping>();
  #cursor: number;

  constructor(subnet: Ipv4Subnet) {
    this.subnet = subnet;
    this.#cursor = firstAutoIp(subnet);
  }

  /** Number of mappings. */
  get size(): number {
    return this.#byIp.size;
  }

  /**
   * Maps `address` to `localIp`, or to the next free automatic IP when `localIp` is absent. An address
   * that is mapped already keeps its IP (whatever `localIp` says).
   *
   * @throws {PilotError} `invalid IP: <s>`, `IP <ip> not in subnet <cidr>`, `IP <ip> already mapped`,
   * `subnet exhausted`, or the table-size limit.
   */
  map(address: Address, localIp?: string): MapOutcome {
    const existing = this.#byAddress.get(formatAddress(address));
    if (existing !== undefined) return { mapping: existing, isNew: false };
    if (this.#byIp.size >= MAX_MAPPINGS) {
      throw new PilotError("service_gateway_full", `too many mappings (limit ${MAX_MAPPINGS})`);
    }
    const ip = localIp === undefined ? this.#nextAutoIp() : this.#explicitIp(localIp);
    const mapping: GatewayMapping = { localIp: formatIpv4(ip), address };
    this.#byIp.set(ip, mapping);
    this.#byAddress.set(formatAddress(address), mapping);
    return { mapping, isNew: true };
  }

  /**
   * Removes the mapping of `localIp` and returns it.
   *
   * @throws {PilotError} `service_gateway_bad_ip` `invalid IP: <s>`, `service_gateway_no_mapping`
   * `no mapping for <ip>`.
   */
  unmap(localIp: string): GatewayMapping {
    const ip = parseIp(localIp);
    const mapping = this.#byIp.get(ip);
    if (mapping === undefined) {
      throw new PilotError("service_gateway_no_mapping", `no mapping for ${formatIpv4(ip)}`);
    }
    this.#byIp.delete(ip);
    this.#byAddress.delete(formatAddress(mapping.address));
    return mapping;
  }

  /** The mapping of `localIp`, if any. */
  lookup(localIp: string): GatewayMapping | undefined {
    const ip = parseIpv4(localIp);
    return ip === undefined ? undefined : this.#byIp.get(ip);
  }

  /** Every mapping, in ascending IP order. */
  list(): GatewayMapping[] {
    return [...this.#byIp.entries()].sort(([a], [b]) => a - b).map(([, mapping]) => mapping);
  }

  #explicitIp(text: string): number {
    const ip = parseIp(text);
    if (!subnetContains(this.subnet, ip)) {
      throw new PilotError(
        "service_gateway_not_in_subnet",
        `IP ${formatIpv4(ip)} not in subnet ${formatSubnet(this.subnet)}`,
      );
    }
    if (this.#byIp.has(ip)) {
      throw new PilotError("service_gateway_ip_taken", `IP ${formatIpv4(ip)} already mapped`);
    }
    return ip;
  }

  #nextAutoIp(): number {
    // Bounded: each pass either returns or steps over one mapped IP, and there are at most MAX_MAPPINGS.
    for (let step = 0; step <= MAX_MAPPINGS; step++) {
      const ip = this.#cursor;
      // 255.255.255.255 has no successor: the cursor then leaves every subnet.
      if (ip > 0xFFFFFFFF || !subnetContains(this.subnet, ip)) {
        throw new PilotError("service_gateway_exhausted", "subnet exhausted");
      }
      this.#cursor = ip + 1;
      if (!this.#byIp.has(ip)) return ip;
    }
    throw new Error("mapping table: automatic assignment did not terminate");
  }
}

function parseIp(text: string): number {
  const ip = parseIpv4(text);
  if (ip === undefined) throw new PilotError("service_gateway_bad_ip", `invalid IP: ${text}`);
  return ip;
}
