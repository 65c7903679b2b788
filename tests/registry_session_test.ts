// Replays every registry request of the three captured runs (shared/vectors/registry-session.json) at our
// registry, in capture order, each client on its own connection as in the capture. The captured
// signatures are valid for us because our registry hands out the same ids in the same order and
// Ed25519 is deterministic. Replies must have the captured shape, and match byte for byte once the
// clock fields (`time`, `timestamp`) are masked.

import assert from "node:assert/strict";
import { RawClient, shapeDiff, startTestRegistry } from "../lib/registry/_testing.ts";
import { isRecord } from "../lib/registry/messages.ts";

const VECTORS = new URL("../../shared/vectors/registry-session.json", import.meta.url);

interface Exchange {
  client: string;
  request: Record<string, unknown>;
  replyHex: string;
  reply: unknown;
}

function exchanges(messages: unknown): Exchange[] {
  assert.ok(Array.isArray(messages));
  const pending = new Map<string, Array<{ request: Record<string, unknown> }>>();
  const out: Exchange[] = [];
  const order: Array<{ client: string; request: Record<string, unknown> }> = [];
  for (const entry of messages) {
    assert.ok(isRecord(entry));
    const client = String(entry.client_port);
    if (entry.to === "registry") {
      assert.ok(isRecord(entry.json));
      const item = { client, request: entry.json };
      order.push(item);
      pending.set(client, [...(pending.get(client) ?? []), item]);
    } else if (entry.from === "registry") {
      const queue = pending.get(client) ?? [];
      const item = queue.shift();
      assert.ok(item !== undefined, `reply without request on ${client}`);
      out.push({ client, request: item.request, replyHex: String(entry.hex), reply: entry.json });
    }
  }
  // Back into request order (replies of different clients may interleave in the capture).
  return order.map((o) => {
    const found = out.find((x) => x.request === o.request);
    assert.ok(found !== undefined);
    return found;
  });
}

function maskClock(text: string): string {
  return text.replace(/"(time|timestamp)":\d+/g, '"$1":0');
}

async function replay(messages: unknown): Promise<void> {
  await using registry = await startTestRegistry();
  const clients = new Map<string, RawClient>();
  try {
    for (const [i, ex] of exchanges(messages).entries()) {
      let client = clients.get(ex.client);
      if (client === undefined) {
        client = await RawClient.connect(registry.port);
        clients.set(ex.client, client);
      }
      const raw = await client.requestRaw(ex.request);
      const text = new TextDecoder().decode(raw.subarray(4));
      const reply: unknown = JSON.parse(text);
      const where = `#${i} ${String(ex.request.type)}`;
      assert.deepEqual(shapeDiff(reply, ex.reply), [], `${where}: ${text}`);
      const captured = new TextDecoder().decode(Uint8Array.fromHex(ex.replyHex).subarray(4));
      assert.equal(maskClock(text), maskClock(captured), where);
      assert.equal(raw.byteLength, Uint8Array.fromHex(ex.replyHex).byteLength, `${where}: frame length`);
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
}

const vectors: unknown = JSON.parse(await Deno.readTextFile(VECTORS));
assert.ok(isRecord(vectors) && isRecord(vectors.public_nodes_run));
const runs = vectors;
const publicRun = vectors.public_nodes_run;

Deno.test("registry session: the plaintext run's requests get the captured replies", async () => {
  await replay(runs.messages);
});

Deno.test("registry session: the encrypted run's requests get the captured replies", async () => {
  await replay(runs.encrypted_run_messages);
});

Deno.test("registry session: the public-nodes run's requests get the captured replies", async () => {
  await replay(publicRun.messages);
});
