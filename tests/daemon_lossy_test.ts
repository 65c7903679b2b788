import assert from "node:assert/strict";
import { startDaemon } from "./_helpers/daemon.ts";
import { exchange } from "./_helpers/ipc_exchange.ts";
import { LossyRelay, netAddr } from "./_helpers/lossy_relay.ts";

Deno.test("daemons: 10 MB each way through a relay that drops 10%, duplicates 5% and reorders", async () => {
  await using relay = new LossyRelay({ drop: 0.10, duplicate: 0.05, reorder: 0.05 }, 20261201);
  await using a = await startDaemon({ flags: ["-public", "-endpoint", LossyRelay.faceOf(relay.a)] });
  await using b = await startDaemon({
    registry: String(a.ready.registry),
    flags: ["-public", "-endpoint", LossyRelay.faceOf(relay.b)],
  });
  relay.a.real = netAddr(String(a.ready.tunnel));
  relay.b.real = netAddr(String(b.ready.tunnel));
  try {
    await exchange(a, b, { port: 5002, bytes: 10 * 1024 * 1024, timeoutMs: 120_000 });
  } catch (err) {
    throw new Error(
      `${err}\nrelay: ${JSON.stringify(relay.stats)}\n--- A ---\n${a.log()}\n--- B ---\n${b.log()}`,
    );
  }
  assert.ok(relay.stats.dropped > 100, `the relay really dropped packets: ${JSON.stringify(relay.stats)}`);
  assert.ok(relay.stats.duplicated > 50 && relay.stats.reordered > 50, JSON.stringify(relay.stats));
});
