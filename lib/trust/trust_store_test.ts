import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { createLogger } from "../log.ts";
import type { LogRecord } from "../log.ts";
import { TrustStore } from "./trust_store.ts";

const PEER = {
  nodeId: 2,
  publicKey: "ooIq6+SI08H4bF6fzZ1AxlcGwfalOQv0yN5IIrdbU3E=",
  mutual: true,
  network: 0,
};

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "trust-store-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function modeOf(path: string): Promise<number | undefined> {
  const mode = (await Deno.stat(path)).mode;
  return mode === null ? undefined : mode & 0o777;
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("trust store: a missing file is an empty store, and nothing is written until a change", async () => {
  await withDir(async (dir) => {
    const store = await TrustStore.open(`${dir}/trust.json`);
    assert.deepEqual(store.listTrusted(), []);
    assert.deepEqual(await listDir(dir), []);
  });
});

Deno.test("trust store: saves write trust.json with mode 0600 and a new store reads it back", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/home/trust.json`; // the directory does not exist yet
    const store = await TrustStore.open(path, { utcOffsetMinutes: () => 0 });
    store.putTrusted({ ...PEER, approvedAt: 1795546150 });
    store.putPending({ nodeId: 5, publicKey: "", justification: "hi d", receivedAt: 1795545456 });
    store.setOutgoing(7);
    await store.save();
    assert.equal(await modeOf(path), 0o600);
    assert.equal(await modeOf(`${dir}/home`), 0o700);
    assert.equal(await Deno.readTextFile(path), store.encode());
    assert.deepEqual(await listDir(`${dir}/home`), ["trust.json"], "no temp file is left behind");

    const again = await TrustStore.open(path);
    assert.deepEqual(again.listTrusted(), store.listTrusted());
    assert.deepEqual(again.listPending(), store.listPending());
    assert.equal(again.hasOutgoing(7), false, "the outgoing flag lives in memory only");
  });
});

Deno.test("trust store: a trusted record replaces the pending one and remove reports what it dropped", () => {
  const store = TrustStore.inMemory();
  store.putPending({ nodeId: 2, publicKey: "", justification: "", receivedAt: 1 });
  store.putTrusted({ ...PEER, approvedAt: 2 });
  assert.equal(store.pending(2), undefined);
  assert.throws(() => store.putPending({ nodeId: 2, publicKey: "", justification: "", receivedAt: 3 }));
  store.setOutgoing(2);
  assert.deepEqual(store.remove(2), { trusted: true, pending: false, outgoing: true });
  assert.deepEqual(store.remove(2), { trusted: false, pending: false, outgoing: false });
});

Deno.test("trust store: saves requested together coalesce and the file ends with the last state", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/trust.json`;
    const store = await TrustStore.open(path);
    const saves: Promise<void>[] = [];
    for (let id = 1; id <= 50; id++) {
      store.putTrusted({ ...PEER, nodeId: id, approvedAt: id });
      saves.push(store.save());
    }
    await Promise.all(saves);
    assert.ok(new Set(saves).size < 50, "queued saves share one write");
    const again = await TrustStore.open(path);
    assert.equal(again.listTrusted().length, 50);
  });
});

Deno.test("trust store: a failed write rejects and the next save writes the whole state", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/trust.json`;
    const store = await TrustStore.open(path);
    store.putTrusted({ ...PEER, approvedAt: 1 });
    await store.save();
    // A non-empty directory where the file should go: the rename fails even for root.
    await Deno.remove(path);
    await Deno.mkdir(`${path}/blocker`, { recursive: true });
    store.putTrusted({ ...PEER, nodeId: 3, approvedAt: 1 });
    await assert.rejects(store.save(), { code: "store_write_failed" });
    assert.deepEqual(await listDir(dir), ["trust.json"], "the temp file was cleaned up");
    await Deno.remove(path, { recursive: true });
    await store.save();
    assert.deepEqual((await TrustStore.open(path)).listTrusted().map((p) => p.nodeId), [2, 3]);
  });
});

Deno.test("trust store: a corrupted file gives store_trust_corrupt and is kept as a copy", async (t) => {
  const cases: [string, Uint8Array | string][] = [
    ["partial write", '{\n  "trusted": [\n    {\n      "node_id": 2,'],
    ["not JSON", "garbage"],
    ["wrong shape", '{"trusted":[{"node_id":"two"}]}'],
    ["not UTF-8", new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])],
    ["empty", ""],
  ];
  for (const [name, content] of cases) {
    await t.step(name, async () => {
      await withDir(async (dir) => {
        const path = `${dir}/trust.json`;
        if (typeof content === "string") await Deno.writeTextFile(path, content);
        else await Deno.writeFile(path, content);
        const original = await Deno.readFile(path);
        const err = await TrustStore.open(path).then(() => undefined, (e: unknown) => e);
        assert.ok(isPilotError(err, "store_trust_corrupt"), `${err}`);
        assert.match(err.message, /trust file .* is corrupted/);
        const names = await listDir(dir);
        assert.equal(names.length, 2, names.join());
        const copy = names.find((n) => n.startsWith("trust.json.corrupt-"));
        assert.ok(copy !== undefined && err.hint?.includes(copy), err.hint);
        assert.deepEqual(await Deno.readFile(`${dir}/${copy}`), original);
        assert.equal(await modeOf(`${dir}/${copy}`), 0o600);
        assert.deepEqual(await Deno.readFile(path), original, "the file itself is untouched");
      });
    });
  }
});

Deno.test("trust store: with onCorrupt start_empty it warns, starts empty and a later save keeps the copy", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/trust.json`;
    await Deno.writeTextFile(path, "{broken");
    const records: LogRecord[] = [];
    const logger = createLogger({ level: "debug", sink: (r) => records.push(r) });
    const store = await TrustStore.open(path, { onCorrupt: "start_empty", logger });
    assert.deepEqual(store.listTrusted(), []);
    assert.equal(records[0]?.msg, "trust file corrupted, starting empty");
    store.putTrusted({ ...PEER, approvedAt: 1 });
    await store.save();
    const names = await listDir(dir);
    const copy = names.find((n) => n.startsWith("trust.json.corrupt-"));
    assert.ok(copy !== undefined, names.join());
    assert.equal(await Deno.readTextFile(`${dir}/${copy}`), "{broken");
    assert.equal((await TrustStore.open(path)).isTrusted(2), true);
  });
});

Deno.test("trust store: two corruptions in a row keep two copies", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/trust.json`;
    await Deno.writeTextFile(path, "first");
    await TrustStore.open(path, { onCorrupt: "start_empty" });
    await Deno.writeTextFile(path, "second");
    await TrustStore.open(path, { onCorrupt: "start_empty" });
    const copies = (await listDir(dir)).filter((n) => n.startsWith("trust.json.corrupt-"));
    assert.equal(copies.length, 2);
    const contents = await Promise.all(copies.map((c) => Deno.readTextFile(`${dir}/${c}`)));
    assert.deepEqual(contents.sort(), ["first", "second"]);
  });
});

Deno.test("trust store: a directory in place of the file is a read error, not a corruption", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/trust.json`);
    await assert.rejects(TrustStore.open(`${dir}/trust.json`), { code: "store_trust_read" });
  });
});

Deno.test("trust store: an in-memory store saves nowhere", async () => {
  const store = TrustStore.inMemory();
  store.putTrusted({ ...PEER, approvedAt: 1 });
  await store.save();
  assert.equal(store.path, undefined);
});
