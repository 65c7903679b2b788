import assert from "node:assert/strict";
import { removeStaleTemps } from "./_store_dir.ts";
import {
  clearReceived,
  IncomingFile,
  listReceived,
  receivedDir,
  receivedFileName,
  splitReceivedName,
} from "./received_store.ts";

const text = new TextEncoder();
const AT = new Date(2026, 10, 24, 18, 33, 13, 64);

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "dx-received-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const out = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

Deno.test("received store: destination names follow services.md §4.4", () => {
  assert.equal(receivedFileName("report.md", AT), "report-20261124-183313.064.md");
  assert.equal(receivedFileName("noext", AT), "noext-20261124-183313.064");
  assert.equal(receivedFileName("archive.tar.gz", AT), "archive.tar-20261124-183313.064.gz");
  assert.equal(receivedFileName(".bashrc", AT), "-20261124-183313.064.bashrc");
  assert.equal(receivedFileName("../../evil.txt", AT), "evil-20261124-183313.064.txt");
  assert.equal(receivedFileName("dir/sub/", AT), "sub-20261124-183313.064");
  assert.equal(receivedFileName("a\\b.txt", AT), "a\\b-20261124-183313.064.txt");
  assert.equal(receivedFileName("report.md", AT, 1), "report-20261124-183313.064_001.md");
  assert.deepEqual(splitReceivedName("/"), { base: "", ext: "" });
});

Deno.test("received store: a committed file appears whole under its name, mode 0600, temp gone", async () => {
  await withHome(async (home) => {
    const incoming = await IncomingFile.create(home);
    await incoming.write(text.encode("hel"));
    await incoming.write(text.encode("lo"));
    const dir = receivedDir(home);
    assert.equal((await names(dir)).length, 1); // only the temp file so far
    assert.deepEqual((await listReceived(home)).files, []);
    const stored = await incoming.commit("report.md", AT);
    assert.equal(stored.name, "report-20261124-183313.064.md");
    assert.equal(stored.bytes, 5);
    assert.deepEqual(await names(dir), ["report-20261124-183313.064.md"]);
    assert.equal(await Deno.readTextFile(stored.path), "hello");
    assert.equal(((await Deno.stat(stored.path)).mode ?? 0) & 0o777, 0o600);
    assert.equal(((await Deno.stat(dir)).mode ?? 0) & 0o777, 0o700);
  });
});

Deno.test("received store: segment-sized writes, a reused buffer and one oversized write land in order", async () => {
  await withHome(async (home) => {
    const incoming = await IncomingFile.create(home);
    const expected: number[] = [];
    const reused = new Uint8Array(4096);
    // 3 MiB in segment-sized writes from one buffer the caller overwrites each time, so the file is
    // only right if every write's bytes were taken before the call settled.
    for (let i = 0; i < 768; i++) {
      reused.fill(i & 0xff);
      await incoming.write(reused.subarray(0, 4096 - (i % 3)));
      for (let k = 0; k < 4096 - (i % 3); k++) expected.push(i & 0xff);
    }
    const big = new Uint8Array(1_000_003).map((_, k) => (k * 7) & 0xff);
    await incoming.write(big);
    for (const byte of big) expected.push(byte);
    await incoming.write(text.encode("!"));
    expected.push(0x21);
    assert.equal(incoming.bytesWritten, expected.length);
    const stored = await incoming.commit("big.bin", AT);
    assert.equal(stored.bytes, expected.length);
    assert.deepEqual(await Deno.readFile(stored.path), new Uint8Array(expected));
  });
});

Deno.test("received store: two files of one name in the same millisecond both survive", async () => {
  await withHome(async (home) => {
    for (const content of ["one", "two"]) {
      const incoming = await IncomingFile.create(home);
      await incoming.write(text.encode(content));
      await incoming.commit("report.md", AT);
    }
    const dir = receivedDir(home);
    assert.deepEqual(await names(dir), [
      "report-20261124-183313.064.md",
      "report-20261124-183313.064_001.md",
    ]);
    assert.equal(await Deno.readTextFile(`${dir}/report-20261124-183313.064.md`), "one");
    assert.equal(await Deno.readTextFile(`${dir}/report-20261124-183313.064_001.md`), "two");
  });
});

Deno.test("received store: an aborted file leaves nothing behind", async () => {
  await withHome(async (home) => {
    const incoming = await IncomingFile.create(home);
    await incoming.write(text.encode("partial"));
    await incoming.abort();
    await incoming.abort();
    assert.deepEqual(await names(receivedDir(home)), []);
  });
});

Deno.test("received store: listing gives name, size, mtime and path, skipping folders and temp files", async () => {
  await withHome(async (home) => {
    const incoming = await IncomingFile.create(home);
    await incoming.write(text.encode("hello inbox!!"));
    const stored = await incoming.commit("report.txt", AT);
    const dir = receivedDir(home);
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(`${dir}/.incoming.0123456789abcdef.tmp`, "x");
    const listed = await listReceived(home);
    assert.equal(listed.dir, dir);
    assert.equal(listed.total, 1);
    assert.deepEqual(listed.files.map(({ name, bytes, path }) => ({ name, bytes, path })), [
      { name: stored.name, bytes: 13, path: stored.path },
    ]);
    assert.match(listed.files[0]?.modified ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
    assert.deepEqual(listed.skipped.map((entry) => entry.name), [".incoming.0123456789abcdef.tmp"]);
  });
});

Deno.test("received store: clearing counts files, keeps folders, and a missing folder is not_found", async () => {
  await withHome(async (home) => {
    assert.deepEqual(await listReceived(home), { dir: undefined, files: [], total: 0, skipped: [] });
    await assert.rejects(clearReceived(home), { code: "not_found", message: "no received files" });
    const dir = receivedDir(home);
    await Deno.mkdir(`${dir}/sub`, { recursive: true });
    await Deno.writeTextFile(`${dir}/a`, "x");
    await Deno.writeTextFile(`${dir}/b`, "y");
    assert.deepEqual(await clearReceived(home), { cleared: 2 });
    assert.deepEqual(await names(dir), ["sub"]);
  });
});

Deno.test("received store: stale temp files are removed, fresh ones and stored files kept", async () => {
  await withHome(async (home) => {
    const dir = receivedDir(home);
    await Deno.mkdir(dir);
    await Deno.writeTextFile(`${dir}/.incoming.0123456789abcdef.tmp`, "old");
    await Deno.writeTextFile(`${dir}/.incoming.fedcba9876543210.tmp`, "new");
    await Deno.writeTextFile(`${dir}/report-20261124-183313.064.md`, "kept");
    const old = new Date(Date.now() - 3_600_000);
    await Deno.utime(`${dir}/.incoming.0123456789abcdef.tmp`, old, old);
    assert.equal(await removeStaleTemps(dir, 600_000, new Date()), 1);
    assert.deepEqual(await names(dir), [".incoming.fedcba9876543210.tmp", "report-20261124-183313.064.md"]);
    assert.equal(await removeStaleTemps(`${home}/missing`, 0, new Date()), 0);
  });
});
