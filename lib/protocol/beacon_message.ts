/**
 * Beacon messages (control.md §5.2, network.md §3.11): one type byte below 0x10, then a fixed big-endian
 * layout. The same codec serves the beacon server and the tunnel socket, which tells these datagrams
 * from tunnel frames by their first byte (network.md §3.1).
 *
 * Decoding follows the reference's minimum-length rule: a message shorter than its layout is refused,
 * bytes after a fixed layout are ignored (so re-encoding such input drops them). Relay payloads are
 * views into the input, never copies.
 *
 * @module
 */

import { PilotError } from "../errors.ts";

/** Message type codes (control.md §5.1). */
export const BEACON_TYPES = {
  DISCOVER: 0x01,
  DISCOVER_REPLY: 0x02,
  PUNCH_REQUEST: 0x03,
  PUNCH_COMMAND: 0x04,
  RELAY: 0x05,
  RELAY_DELIVER: 0x06,
  SYNC: 0x07,
} as const;

/** First bytes below this value are beacon messages on the tunnel socket (network.md §3.1). */
export const BEACON_TYPE_LIMIT = 0x10;

/** The beacon reads with a buffer of this size (control.md §5.1); nothing longer can arrive whole. */
export const MAX_BEACON_DATAGRAM = 65535;

/** The largest UDP payload IPv4 can carry (65,535 − 20 IP − 8 UDP header bytes). */
export const MAX_UDP_PAYLOAD_IPV4 = 65507;

/** Most node ids one Sync (7 + 4 × n bytes) can carry and still be sendable over IPv4. */
export const MAX_SYNC_NODES = Math.floor((MAX_UDP_PAYLOAD_IPV4 - 7) / 4);

/** A UDP endpoint as carried on the wire: `ip` is 4 (IPv4) or 16 (IPv6) bytes. */
export interface BeaconEndpoint {
  readonly ip: Uint8Array;
  readonly port: number;
}

/** Every beacon message, discriminated by `type`. */
export type BeaconMessage =
  | { readonly type: "discover"; readonly nodeId: number }
  | { readonly type: "discover-reply"; readonly endpoint: BeaconEndpoint }
  | { readonly type: "punch-request"; readonly requesterId: number; readonly targetId: number }
  | { readonly type: "punch-command"; readonly endpoint: BeaconEndpoint }
  | { readonly type: "relay"; readonly senderId: number; readonly destId: number; readonly frame: Uint8Array }
  | { readonly type: "relay-deliver"; readonly senderId: number; readonly frame: Uint8Array }
  | { readonly type: "sync"; readonly beaconId: number; readonly nodeIds: readonly number[] };

/** The `type` strings of {@linkcode BeaconMessage}. */
export type BeaconMessageType = BeaconMessage["type"];

/** True when a tunnel-socket datagram is a beacon message rather than a tunnel frame (network.md §3.1). */
export function isBeaconDatagram(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] < BEACON_TYPE_LIMIT;
}

/** Size in bytes of `msg` once encoded. */
export function beaconMessageSize(msg: BeaconMessage): number {
  switch (msg.type) {
    case "discover":
      return 5;
    case "discover-reply":
    case "punch-command":
      return 4 + msg.endpoint.ip.byteLength;
    case "punch-request":
      return 9;
    case "relay":
      return 9 + msg.frame.byteLength;
    case "relay-deliver":
      return 5 + msg.frame.byteLength;
    case "sync":
      return 7 + 4 * msg.nodeIds.length;
    default:
      return unreachable(msg);
  }
}

/**
 * Encodes `msg`, into `out` when given; returns exactly the message's bytes (a subarray of `out`).
 *
 * @example
 * ```ts
 * import { encodeBeaconMessage } from "./beacon_message.ts";
 * const bytes = encodeBeaconMessage({ type: "punch-request", requesterId: 5, targetId: 2 });
 * if (bytes.toHex() !== "030000000500000002") throw new Error("TV-12");
 * ```
 */
export function encodeBeaconMessage(msg: BeaconMessage, out?: Uint8Array): Uint8Array {
  const size = beaconMessageSize(msg);
  if (size > MAX_BEACON_DATAGRAM) {
    throw new PilotError(
      "beacon_too_large",
      `${msg.type} needs ${size} bytes, limit is ${MAX_BEACON_DATAGRAM}`,
    );
  }
  const target = out === undefined ? new Uint8Array(size) : out;
  if (target.byteLength < size) {
    throw new PilotError(
      "beacon_buffer_short",
      `${msg.type} needs ${size} bytes, buffer has ${target.byteLength}`,
    );
  }
  const bytes = target.subarray(0, size);
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  switch (msg.type) {
    case "discover":
      view.setUint8(0, BEACON_TYPES.DISCOVER);
      view.setUint32(1, checkU32(msg.nodeId, "node id"));
      break;
    case "discover-reply":
      view.setUint8(0, BEACON_TYPES.DISCOVER_REPLY);
      writeEndpoint(view, bytes, msg.endpoint);
      break;
    case "punch-request":
      view.setUint8(0, BEACON_TYPES.PUNCH_REQUEST);
      view.setUint32(1, checkU32(msg.requesterId, "requester id"));
      view.setUint32(5, checkU32(msg.targetId, "target id"));
      break;
    case "punch-command":
      view.setUint8(0, BEACON_TYPES.PUNCH_COMMAND);
      writeEndpoint(view, bytes, msg.endpoint);
      break;
    case "relay":
      view.setUint8(0, BEACON_TYPES.RELAY);
      view.setUint32(1, checkU32(msg.senderId, "sender id"));
      view.setUint32(5, checkU32(msg.destId, "destination id"));
      bytes.set(msg.frame, 9);
      break;
    case "relay-deliver":
      view.setUint8(0, BEACON_TYPES.RELAY_DELIVER);
      view.setUint32(1, checkU32(msg.senderId, "sender id"));
      bytes.set(msg.frame, 5);
      break;
    case "sync": {
      view.setUint8(0, BEACON_TYPES.SYNC);
      view.setUint32(1, checkU32(msg.beaconId, "beacon id"));
      view.setUint16(5, msg.nodeIds.length);
      let offset = 7;
      for (const id of msg.nodeIds) {
        view.setUint32(offset, checkU32(id, "sync node id"));
        offset += 4;
      }
      break;
    }
    default:
      unreachable(msg);
  }
  return bytes;
}

/**
 * Decodes one beacon datagram. Throws `PilotError` with `beacon_empty`, `beacon_unknown_type`,
 * `beacon_truncated`, `beacon_bad_ip_len` or `beacon_too_large`.
 *
 * @example
 * ```ts
 * import { decodeBeaconMessage } from "./beacon_message.ts";
 * const msg = decodeBeaconMessage(Uint8Array.fromHex("04047f0000014b01"));
 * if (msg.type !== "punch-command" || msg.endpoint.port !== 19201) throw new Error("TV-12");
 * ```
 */
export function decodeBeaconMessage(bytes: Uint8Array): BeaconMessage {
  const length = bytes.byteLength;
  if (length === 0) throw new PilotError("beacon_empty", "empty beacon datagram");
  if (length > MAX_BEACON_DATAGRAM) {
    throw new PilotError(
      "beacon_too_large",
      `beacon datagram of ${length} bytes, limit is ${MAX_BEACON_DATAGRAM}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const code = bytes[0];
  switch (code) {
    case BEACON_TYPES.DISCOVER:
      need(length, 5, "discover");
      return { type: "discover", nodeId: view.getUint32(1) };
    case BEACON_TYPES.DISCOVER_REPLY:
      return { type: "discover-reply", endpoint: readEndpoint(view, bytes, "discover-reply") };
    case BEACON_TYPES.PUNCH_REQUEST:
      need(length, 9, "punch-request");
      return { type: "punch-request", requesterId: view.getUint32(1), targetId: view.getUint32(5) };
    case BEACON_TYPES.PUNCH_COMMAND:
      return { type: "punch-command", endpoint: readEndpoint(view, bytes, "punch-command") };
    case BEACON_TYPES.RELAY:
      need(length, 9, "relay");
      return {
        type: "relay",
        senderId: view.getUint32(1),
        destId: view.getUint32(5),
        frame: bytes.subarray(9),
      };
    case BEACON_TYPES.RELAY_DELIVER:
      need(length, 5, "relay-deliver");
      return { type: "relay-deliver", senderId: view.getUint32(1), frame: bytes.subarray(5) };
    case BEACON_TYPES.SYNC: {
      need(length, 7, "sync");
      const count = view.getUint16(5);
      // Checked before allocating: the count is the sender's claim, the length is what arrived.
      need(length, 7 + 4 * count, `sync with ${count} node ids`);
      const nodeIds = new Array<number>(count);
      for (let i = 0; i < count; i++) nodeIds[i] = view.getUint32(7 + 4 * i);
      return { type: "sync", beaconId: view.getUint32(1), nodeIds };
    }
    default:
      throw new PilotError("beacon_unknown_type", `unknown beacon message type 0x${hex2(code)}`);
  }
}

/** Formats an IP of 4 or 16 bytes: dotted IPv4, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(ip: Uint8Array): string {
  if (ip.byteLength === 4) return `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}`;
  if (ip.byteLength !== 16) {
    throw new PilotError("beacon_bad_ip_len", `ip of ${ip.byteLength} bytes (want 4 or 16)`);
  }
  if (isV4Mapped(ip)) return `::ffff:${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((ip[i] << 8) | ip[i + 1]);
  let bestStart = -1;
  let bestLength = 1; // a single zero group is not shortened (RFC 5952 §4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const text = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return text(0, 8);
  return `${text(0, bestStart)}::${text(bestStart + bestLength, 8)}`;
}

/** Parses an IP literal (no host names, no zones) to 4 or 16 bytes; IPv4-mapped IPv6 stays 16 bytes. */
export function parseIp(text: string): Uint8Array {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4;
  const v6 = parseIpv6(text);
  if (v6 !== undefined) return v6;
  throw new PilotError("invalid_argument", `invalid ip address ${JSON.stringify(text.slice(0, 64))}`);
}

/** IPv4-mapped IPv6 addresses become their 4 IPv4 bytes, as the beacon sends them (control.md §5.2). */
export function normalizeIp(ip: Uint8Array): Uint8Array {
  return ip.byteLength === 16 && isV4Mapped(ip) ? ip.subarray(12) : ip;
}

/** `"1.2.3.4:80"` or `"[::1]:80"`. */
export function formatEndpoint(endpoint: BeaconEndpoint): string {
  const ip = formatIp(endpoint.ip);
  return endpoint.ip.byteLength === 16 ? `[${ip}]:${endpoint.port}` : `${ip}:${endpoint.port}`;
}

/** Parses `"1.2.3.4:80"` or `"[::1]:80"` (IP literals only) into an endpoint; mapped IPv4 becomes 4 bytes. */
export function parseEndpoint(text: string): BeaconEndpoint {
  const bad = (why: string) =>
    new PilotError("invalid_argument", `invalid endpoint ${JSON.stringify(text.slice(0, 64))}: ${why}`, {
      hint: `write ip:port, with an IPv6 address in brackets ("[::1]:9001")`,
    });
  const colon = text.lastIndexOf(":");
  if (colon < 0) throw bad("missing port");
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  else if (host.includes(":")) throw bad("IPv6 address must be in brackets");
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) throw bad("port must be 0-65535");
  let ip: Uint8Array;
  try {
    ip = parseIp(host);
  } catch {
    throw bad("host is not an ip address");
  }
  return { ip: normalizeIp(ip), port: Number(portText) };
}

function writeEndpoint(view: DataView, bytes: Uint8Array, endpoint: BeaconEndpoint): void {
  const ipLength = endpoint.ip.byteLength;
  if (ipLength !== 4 && ipLength !== 16) {
    throw new PilotError("beacon_bad_ip_len", `ip of ${ipLength} bytes (want 4 or 16)`);
  }
  view.setUint8(1, ipLength);
  bytes.set(endpoint.ip, 2);
  view.setUint16(2 + ipLength, checkPort(endpoint.port));
}

function readEndpoint(view: DataView, bytes: Uint8Array, name: string): BeaconEndpoint {
  need(bytes.byteLength, 2, name);
  const ipLength = view.getUint8(1);
  if (ipLength !== 4 && ipLength !== 16) {
    throw new PilotError("beacon_bad_ip_len", `${name} ip_len ${ipLength} (want 4 or 16)`);
  }
  need(bytes.byteLength, 4 + ipLength, name);
  return { ip: bytes.slice(2, 2 + ipLength), port: view.getUint16(2 + ipLength) };
}

function need(length: number, min: number, name: string): void {
  if (length < min) throw new PilotError("beacon_truncated", `${name} needs ${min} bytes, got ${length}`);
}

function checkU32(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new PilotError("beacon_bad_field", `${field} ${value} is not a u32`);
  }
  return value;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new PilotError("beacon_bad_field", `port ${port} is not a u16`);
  }
  return port;
}

function isV4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (ip[i] !== 0) return false;
  return ip[10] === 0xff && ip[11] === 0xff;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // Leading zeros are refused, as Go does: "010" could mean octal to other parsers.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return undefined;
    const value = Number(parts[i]);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  // An embedded IPv4 part may only end the address.
  if (halves.length === 2 && halves[0].includes(".")) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function hex2(value: number): string {
  return value.toString(16).padStart(2, "0");
}

function unreachable(value: never): never {
  throw new Error(`unhandled beacon message ${JSON.stringify(value)}`);
}
