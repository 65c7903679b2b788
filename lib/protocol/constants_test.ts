import assert from "node:assert/strict";
import * as c from "./constants.ts";

Deno.test("constants: derived sizes agree with the values they come from (§2.5, §7)", () => {
  assert.equal(c.TUNNEL_RECEIVE_BUFFER_BYTES, c.MAX_PAYLOAD + 4 + c.HEADER_SIZE);
  assert.equal(c.MAX_RECEIVE_WINDOW_BYTES, c.RECEIVE_QUEUE_SEGMENTS * c.MSS);
  assert.equal(c.WINDOW_UNIT_BYTES, c.MSS);
  assert.equal(c.EPHEMERAL_PORT_MAX - c.EPHEMERAL_PORT_MIN + 1, 16384);
  assert.equal(c.REGISTERED_PORT_MAX + 1, c.EPHEMERAL_PORT_MIN);
});

Deno.test("constants: flag bits are distinct nibble bits and the byte-0 values match §2.2", () => {
  const bits = Object.values(c.FLAGS);
  assert.equal(bits.reduce((a, b) => a | b, 0), 0xF);
  assert.equal((c.PROTOCOL_VERSION << 4) | c.FLAGS.SYN | c.FLAGS.ACK, 0x13);
  assert.equal((c.PROTOCOL_VERSION << 4) | c.FLAGS.RST, 0x18);
});

Deno.test("constants: the §7 table values", () => {
  assert.deepEqual(
    [
      c.INITIAL_CWND_BYTES,
      c.MAX_CWND_BYTES,
      c.INITIAL_SSTHRESH_BYTES,
      c.MIN_SSTHRESH_BYTES,
      c.OUT_OF_ORDER_SEGMENTS,
      c.INITIAL_RTO_MS,
      c.MIN_RTO_MS,
      c.MAX_RTO_MS,
      c.DIAL_MAX_RETRIES,
      c.REPLAY_WINDOW_COUNTERS,
      c.AEAD_NONCE_BYTES,
      c.AEAD_TAG_BYTES,
    ],
    [40960, 1048576, 524288, 4096, 128, 1000, 200, 10000, 6, 256, 12, 16],
  );
});
