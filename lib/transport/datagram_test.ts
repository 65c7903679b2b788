import assert from "node:assert/strict";
import { FLAGS, PROTOCOLS } from "../protocol/mod.ts";
import { BROADCAST_REFUSED, datagramPacket, pingPacket, pongFor } from "./datagram.ts";

const A = { network: 0, node: 1 };
const B = { network: 0, node: 2 };

Deno.test("datagram: a datagram has flags, seq, ack and window 0", () => {
  const p = datagramPacket({ address: A, port: 49152 }, { address: B, port: 7 }, new Uint8Array([1]));
  assert.deepEqual([p.flags, p.seq, p.ack, p.window, p.protocol], [0, 0, 0, 0, PROTOCOLS.DATAGRAM]);
});

Deno.test("datagram: broadcast in any network is refused with the U+2014 text", () => {
  assert.equal(BROADCAST_REFUSED, "broadcast is not available \u2014 custom networks are WIP");
  assert.throws(
    () =>
      datagramPacket(
        { address: A, port: 1 },
        { address: { network: 9, node: 0xFFFFFFFF }, port: 7 },
        new Uint8Array(1),
      ),
    { message: BROADCAST_REFUSED },
  );
});

Deno.test("datagram: an oversized payload is refused before encoding", () => {
  assert.throws(
    () => datagramPacket({ address: A, port: 1 }, { address: B, port: 7 }, new Uint8Array(65536)),
    { code: "transport_datagram_too_large" },
  );
});

Deno.test("datagram: the pong swaps addresses, echoes seq and payload, acks seq + 1 (§6.2)", () => {
  const ping = { ...pingPacket(B, A, 50000, 0xFFFFFFFF, new Uint8Array([5])), flags: FLAGS.SYN | FLAGS.FIN };
  const pong = pongFor(ping, A);
  assert.ok(pong !== undefined);
  assert.deepEqual(
    [pong.flags, pong.srcPort, pong.dstPort, pong.seq, pong.ack, pong.window, pong.dst.node],
    [FLAGS.ACK, 0, 50000, 0xFFFFFFFF, 0, 0, 2],
  );
  assert.deepEqual([...pong.payload], [5]);
});

Deno.test("datagram: no pong for pings from port 0 (Q15), to other ports, or of other protocols", () => {
  const ping = pingPacket(B, A, 50000, 1, new Uint8Array(0));
  assert.equal(pongFor({ ...ping, srcPort: 0 }, A), undefined);
  assert.equal(pongFor({ ...ping, dstPort: 1 }, A), undefined);
  assert.equal(pongFor({ ...ping, protocol: PROTOCOLS.DATAGRAM }, A), undefined);
  assert.throws(() => pingPacket(A, B, 0, 1, new Uint8Array(0)));
});
