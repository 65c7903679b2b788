/**
 * Byte helpers shared inside lib/crypto.
 *
 * @module
 */

/** Byte equality whose time does not depend on where the inputs first differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
