// The captured packets of network.md §11 (TV-3, TV-4, TV-6, TV-7) must come out of the state machine
// byte for byte when it is driven through the same exchange.

import { deepEqual, equal } from "node:assert/strict";
import { FLAGS } from "../protocol/mod.ts";
import type { Packet } from "../protocol/mod.ts";
import { streamPacket, wireHex } from "./_sim.ts";
import { ConnectionTable } from "./connection_table.ts";
import type { TransportAction } from "./connection_table.ts";

const NODE_1 = { network: 0, node: 1 };
const NODE_2 = { network: 0, node: 2 };
const NODE_999 = { network: 0, node: 0x999 };
const TEXT = new TextEncoder();

function sent(actions: TransportAction[]): Packet[] {
  return actions.flatMap((a) => a.type === "send" ? [a.packet] : []);
}

Deno.test("vectors: a dial from node 1 sends TV-3's SYN from port 49152", () => {
  const table = new ConnectionTable({ localAddress: NODE_1 }, 0);
  table.dial({ address: NODE_2, port: 1000 }, 0);
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "11010000000000000001000000000002C00003E800000000000000000200145ED874",
  ]);
});

Deno.test("vectors: the first data segment of a dialler with 502 free slots is TV-4", () => {
  const table = new ConnectionTable({ localAddress: NODE_1, config: { receiveQueueSegments: 502 } }, 0);
  const conn = table.dial({ address: NODE_2, port: 1000 }, 0);
  table.receive(
    streamPacket({
      flags: FLAGS.SYN | FLAGS.ACK,
      src: NODE_2,
      dst: NODE_1,
      srcPort: 1000,
      dstPort: 49152,
      ack: 1,
      window: 512,
    }),
    5,
  );
  table.takeActions();
  equal(conn.write(TEXT.encode("hello"), 6), 5);
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "12010005000000000001000000000002C00003E8000000010000000101F65EE872C868656C6C6F",
  ]);
});

Deno.test("vectors: an echo exchange with node 0x999 reproduces TV-6's SYN|ACK, data and FIN|ACK", () => {
  const table = new ConnectionTable({ localAddress: NODE_1 }, 0);
  table.listen(7);
  const peer = { src: NODE_999, dst: NODE_1, srcPort: 50000, dstPort: 7 };
  table.receive(streamPacket({ ...peer, flags: FLAGS.SYN, window: 512 }), 0);
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "130100000000000000010000000009990007C350000000000000000102002B6B8867",
  ]);
  const conn = table.accept(7);
  if (conn === undefined) throw new Error("the SYN was not queued for accept");
  table.receive(streamPacket({ ...peer, flags: FLAGS.ACK, seq: 1, ack: 1, window: 512 }), 1);
  table.receive(
    streamPacket({ ...peer, flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: TEXT.encode("hello") }),
    2,
  );
  const chunks = conn.takeReceived();
  deepEqual(chunks, [TEXT.encode("hello")]);
  conn.consumed(5, 3);
  table.takeActions();
  conn.write(chunks[0], 3);
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "120100050000000000010000000009990007C350000000010000000602003E44B51268656C6C6F",
  ]);
  table.receive(streamPacket({ ...peer, flags: FLAGS.ACK, seq: 6, ack: 6, window: 512 }), 4);
  table.receive(streamPacket({ ...peer, flags: FLAGS.FIN, seq: 6 }), 5);
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "160100000000000000010000000009990007C350000000060000000700005B4DC3FB",
  ]);
});

Deno.test("vectors: a SYN to an unbound port is answered with TV-6's RST", () => {
  const table = new ConnectionTable({ localAddress: NODE_1 }, 0);
  table.receive(
    streamPacket({
      flags: FLAGS.SYN,
      src: NODE_999,
      dst: NODE_1,
      srcPort: 50001,
      dstPort: 9999,
      window: 512,
    }),
    0,
  );
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "18010000000000000001000000000999270FC35100000000000000000000B1B27851",
  ]);
  equal(table.size, 0);
});

Deno.test("vectors: a hole after 208 received bytes produces TV-7's ACK with one SACK block", () => {
  const peerAddress = { network: 0, node: 0x99B };
  const table = new ConnectionTable({ localAddress: NODE_1 }, 0);
  table.listen(1001);
  const peer = { src: peerAddress, dst: NODE_1, srcPort: 52000, dstPort: 1001 };
  table.receive(streamPacket({ ...peer, flags: FLAGS.SYN, window: 512 }), 0);
  const conn = table.accept(1001);
  if (conn === undefined) throw new Error("the SYN was not queued for accept");
  table.receive(
    streamPacket({ ...peer, flags: FLAGS.ACK, seq: 1, ack: 1, window: 512, payload: new Uint8Array(208) }),
    1,
  );
  conn.consumed(conn.takeReceived().reduce((n, c) => n + c.byteLength, 0), 2);
  table.takeActions();
  table.receive(
    streamPacket({ ...peer, flags: FLAGS.ACK, seq: 309, ack: 1, window: 512, payload: new Uint8Array(100) }),
    3,
  );
  deepEqual(sent(table.takeActions()).map(wireHex), [
    "1201000D00000000000100000000099B03E9CB2000000001000000D102002F0468155341434B010000013500000199",
  ]);
});
