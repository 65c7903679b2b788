/**
 * Hint texts of the task errors (cli.md §17).
 *
 * @module
 */

/** `check that <addr> is reachable: pilotctl ping <addr>`. */
export function reachable(address: string): string {
  return `check that ${address} is reachable: pilotctl ping ${address}`;
}
