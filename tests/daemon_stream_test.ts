import { startDaemon } from "./_helpers/daemon.ts";
import { exchange } from "./_helpers/ipc_exchange.ts";

for (const encrypt of [true, false]) {
  Deno.test(`daemons: 10 MB each way on a custom port, byte-exact, encryption ${encrypt ? "on" : "off"}`, async () => {
    const flags = encrypt ? ["-public"] : ["-public", "-encrypt=false"];
    await using a = await startDaemon({ flags });
    await using b = await startDaemon({
      registry: String(a.ready.registry),
      beacon: String(a.ready.beacon),
      flags,
    });
    try {
      await exchange(a, b, { port: 5000, bytes: 10 * 1024 * 1024, timeoutMs: 60_000 });
    } catch (err) {
      throw new Error(`${err}\n--- A ---\n${a.log()}\n--- B ---\n${b.log()}`);
    }
  });
}
