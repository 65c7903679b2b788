/**
 * A peer that restarts (same identity and port, new X25519 key) re-keys, and traffic resumes both ways.
 */

import assert from "node:assert/strict";
import { TUNNEL_EVENTS } from "../lib/tunnel/mod.ts";
import { ownKeyExchangeFrame } from "../lib/tunnel/key_exchange.ts";
import { generateTunnelKeyPair } from "../lib/crypto/mod.ts";
import { eventually, RawPeer, TestNetwork, testPacket } from "../lib/tunnel/_testing.ts";

Deno.test("tunnel restart: a restarted peer re-keys and traffic resumes; its old key cannot come back", async () => {
  await using net = new TestNetwork();
  const a = net.add(1);
  const oldKeys = generateTunnelKeyPair();
  const b = net.add(2, { keyPair: oldKeys });
  await a.tunnel.send(2, testPacket(1, 2, 0));
  await b.packets.waitFor((p) => p.some((x) => x.encrypted), "first session");
  const port = b.tunnel.localAddr.port;
  await b.tunnel.close();

  const b2 = net.add(2, { identity: b.identity, listen: { hostname: "127.0.0.1", port } });
  await b2.tunnel.send(1, testPacket(2, 1, 100));
  await a.events.waitFor(
    (e) => e.some((x) => x.name === TUNNEL_EVENTS.established && "rekeyed" in x.data && x.data.rekeyed),
    "a re-keyed",
  );
  for (let seq = 1; seq <= 5; seq++) await a.tunnel.send(2, testPacket(1, 2, seq));
  await b2.packets.waitFor((p) => p.filter((x) => x.encrypted && x.seq >= 1).length === 5, "a → restarted b");
  await a.packets.waitFor((p) => p.some((x) => x.encrypted && x.seq === 100), "restarted b → a");

  // Q11: the PILA of b's previous life, replayed from elsewhere, is refused.
  await using replayer = new RawPeer();
  await replayer.send(ownKeyExchangeFrame(2, oldKeys, b.identity), a.tunnel.localAddr);
  await replayer.send(ownKeyExchangeFrame(2, oldKeys, b.identity), a.tunnel.localAddr);
  await a.tunnel.send(2, testPacket(1, 2, 6));
  await b2.packets.waitFor((p) => p.some((x) => x.seq === 6 && x.encrypted), "still keyed to the new b");
  await eventually(() => a.tunnel.stats().drops.retired_key === 2, "both replays refused");
  assert.equal(a.tunnel.stats().drops.retired_key, 2);
  assert.equal(a.tunnel.peers()[0].endpoint, `127.0.0.1:${port}`);
});
