/**
 * The PID file of `daemon start` / `stop` / `status` (cli.md §7.1): decimal, no newline when we write
 * it, whitespace trimmed when we read it.
 *
 * @module
 */

const MAX_PID_FILE_BYTES = 64;
const MAX_PID = 0x7FFFFFFF;

/** The PID in the PID file (decimal, whitespace trimmed), or 0 when missing or not a number (§7.1). */
export async function readPidFile(path: string): Promise<number> {
  let text: string;
  try {
    const bytes = await Deno.readFile(path);
    if (bytes.byteLength > MAX_PID_FILE_BYTES) return 0;
    text = new TextDecoder().decode(bytes).trim();
  } catch {
    return 0; // missing or unreadable: no PID
  }
  if (!/^\d{1,10}$/.test(text)) return 0;
  const pid = Number(text);
  return pid > 0 && pid <= MAX_PID ? pid : 0;
}
