/**
 * The pure wire layer of Pilot Protocol (`spec/network.md` §1–§3, §5.6, §5.9, §7): addresses, the
 * packet header and its checksum, sequence arithmetic, the SACK option and the tunnel frame layouts.
 * No I/O, no clock, no logging.
 *
 * @example
 * ```ts
 * import { decodePacket, decodePilt, classifyDatagram, formatAddress } from "./mod.ts";
 * const frame = Uint8Array.fromHex("50494C5411010000000000000001000000000002C00003E800000000000000000200145ED874");
 * if (classifyDatagram(frame) !== "PILT") throw new Error("plaintext frame");
 * const packet = decodePacket(decodePilt(frame));
 * if (formatAddress(packet.dst) !== "0:0000.0000.0002" || packet.window !== 512) throw new Error("decoded");
 * ```
 *
 * @module
 */

export * from "./constants.ts";
export * from "./address.ts";
export * from "./checksum.ts";
export * from "./packet.ts";
export * from "./seq.ts";
export * from "./sack.ts";
export * from "./tunnel_frame.ts";
export * from "./beacon_message.ts";
