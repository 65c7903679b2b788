/**
 * A byte stream over a TCP connection that, unlike `Deno.Conn.readable`, leaves the socket open when the
 * peer ends its side. A client may send its requests, half-close, and still expect every answer (§3.1:
 * one response per request); with the built-in stream the socket is closed at EOF and the answers lost.
 *
 * @module
 */

const READ_CHUNK = 16 * 1024;

/** Reads `conn` on demand; ends at EOF, errors when a read fails (e.g. the socket was closed locally). */
export function readableOf(conn: Deno.Conn): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(READ_CHUNK);
      const n = await conn.read(buffer);
      if (n === null) controller.close();
      else controller.enqueue(buffer.subarray(0, n));
    },
  }, { highWaterMark: 0 });
}
