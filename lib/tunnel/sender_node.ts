/**
 * The sender's node ID of a PILS, PILK or PILA frame: the big-endian u32 after the magic (network.md
 * §3.2, §3.3), read before the frame is decoded, to find the node's state first.
 *
 * @module
 */

/** Bytes 4..8 as a u32; the caller has checked the frame's minimum size. */
export function senderNodeOf(frame: Uint8Array): number {
  return ((frame[4] << 24) | (frame[5] << 16) | (frame[6] << 8) | frame[7]) >>> 0;
}
