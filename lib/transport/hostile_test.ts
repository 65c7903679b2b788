// Hostile and random input: whatever arrives, the table never throws, never grows without bound and
// never reports a deadline that is not after the time it was just run at.

import { equal, ok } from "node:assert/strict";
import { FLAGS } from "../protocol/mod.ts";
import { seededRandom, streamPacket } from "./_sim.ts";
import { ConnectionTable } from "./connection_table.ts";
import { createLogger } from "../log.ts";

const US = { network: 0, node: 1 };

Deno.test("hostile: random packets for open connections are survived with sane deadlines", () => {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const table = new ConnectionTable({ localAddress: US, config: { maxConnectionsTotal: 64 } }, 0);
  table.listen(1000);
  let now = 0;
  const accepted = [];
  for (let step = 0; step < 20_000; step++) {
    now += Math.floor(random() * 50);
    const node = 2 + Math.floor(random() * 4);
    const flags = pick([
      FLAGS.SYN,
      FLAGS.ACK,
      FLAGS.ACK,
      FLAGS.ACK,
      FLAGS.FIN,
      FLAGS.RST,
      FLAGS.SYN | FLAGS.ACK,
      0,
      0xF,
    ]);
    const size = pick([0, 0, 1, 13, 100, 4096, 9000]);
    const payload = new Uint8Array(size).map(() => Math.floor(random() * 256));
    if (size >= 13 && random() < 0.3) payload.set([0x53, 0x41, 0x43, 0x4B, 1 + Math.floor(random() * 4)]);
    const seq = random() < 0.5 ? Math.floor(random() * 20_000) : Math.floor(random() * 2 ** 32);
    const ack = random() < 0.5 ? Math.floor(random() * 20_000) : Math.floor(random() * 2 ** 32);
    table.receive(
      streamPacket({
        flags,
        src: { network: 0, node },
        dst: US,
        srcPort: 50_000 + Math.floor(random() * 3),
        dstPort: pick([1000, 1000, 2000]),
        seq,
        ack,
        window: pick([0, 1, 512, 65535]),
        payload,
      }),
      now,
    );
    for (let c = table.accept(1000); c !== undefined; c = table.accept(1000)) accepted.push(c);
    for (const conn of accepted) {
      if (conn.state === "established" && random() < 0.05) conn.write(new Uint8Array(5000), now);
      if (random() < 0.1) conn.consumed(conn.takeReceived().reduce((n, b) => n + b.byteLength, 0), now);
      if (random() < 0.005) conn.close(now);
    }
    const deadline = table.nextDeadline();
    if (deadline !== undefined && deadline <= now) {
      table.onTimer(now);
      const after = table.nextDeadline();
      ok(after === undefined || after > now, `deadline ${after} after running at ${now}`);
    }
    table.takeActions();
    ok(table.size <= 64 * 2, `table holds ${table.size}`);
  }
});

Deno.test("hostile: state changes are logged at debug as old → new", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "debug", sink: (r) => lines.push(r.msg) });
  const table = new ConnectionTable({ localAddress: US, logger }, 0);
  table.listen(7);
  table.receive(
    streamPacket({ flags: FLAGS.SYN, src: { network: 0, node: 2 }, dst: US, srcPort: 9, dstPort: 7 }),
    0,
  );
  table.receive(
    streamPacket({ flags: FLAGS.FIN, src: { network: 0, node: 2 }, dst: US, srcPort: 9, dstPort: 7 }),
    1,
  );
  equal(
    lines.filter((l) => l.includes("→")).join(" | "),
    "CLOSED → SYN_RECV | SYN_RECV → ESTABLISHED | ESTABLISHED → TIME_WAIT",
  );
});
