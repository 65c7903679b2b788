import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { writeFileAtomic, writeFileExclusive, writeFileUnderFreeName } from "./atomic_file.ts";

/** Permission bits of a path; fails the test when the platform reports none. */
async function modeOf(path: string): Promise<number> {
  const { mode } = await Deno.stat(path);
  if (mode === null) throw new Error(`no mode reported for ${path}`);
  return mode & 0o777;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "atomic-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("atomic file: a new file gets the content and exactly the mode asked for", async () => {
  await withTempDir(async (dir) => {
    await writeFileAtomic(`${dir}/a.json`, "{}");
    assert.equal(await Deno.readTextFile(`${dir}/a.json`), "{}");
    assert.equal(await modeOf(`${dir}/a.json`), 0o600, "default mode");
    await writeFileAtomic(`${dir}/b.bin`, Uint8Array.of(0, 1, 2), { mode: 0o664 }); // past a 022 umask
    assert.deepEqual(await Deno.readFile(`${dir}/b.bin`), Uint8Array.of(0, 1, 2));
    assert.equal(await modeOf(`${dir}/b.bin`), 0o664);
    assert.deepEqual(names(dir), ["a.json", "b.bin"], "no temp files left");
  });
});

Deno.test("atomic file: replacing swaps the whole content and leaves no temp files", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state`;
    await writeFileAtomic(path, "x".repeat(100_000));
    await writeFileAtomic(path, "short");
    assert.equal(await Deno.readTextFile(path), "short");
    assert.deepEqual(names(dir), ["state"]);
  });
});

Deno.test("atomic file: a failed write leaves the target untouched and no temp file", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeFileAtomic(`${dir}/missing/x`, "a"),
      (err) => isPilotError(err, "store_write_failed"),
    );
    await Deno.mkdir(`${dir}/target`); // renaming a file over a directory fails after the temp was written
    await assert.rejects(
      writeFileAtomic(`${dir}/target`, "a"),
      (err) => isPilotError(err, "store_write_failed"),
    );
    assert.deepEqual(names(dir), ["target"]);
    assert.deepEqual(names(`${dir}/target`), []);
    await assert.rejects(writeFileAtomic(`${dir}/`, "a"), (err) => isPilotError(err, "store_bad_path"));
  });
});

Deno.test("atomic file: exclusive creation writes a new file and refuses to overwrite one", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/msg-1.json`;
    await writeFileExclusive(path, "first", { mode: 0o600 });
    assert.equal(await Deno.readTextFile(path), "first");
    assert.equal(await modeOf(path), 0o600);
    await assert.rejects(writeFileExclusive(path, "second"), (err) => isPilotError(err, "already_exists"));
    assert.equal(await Deno.readTextFile(path), "first");
    assert.deepEqual(names(dir), ["msg-1.json"], "the temp file is removed after a refusal too");
  });
});

Deno.test("atomic file: of many concurrent exclusive writers to one name exactly one wins", async () => {
  await withTempDir(async (dir) => {
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => writeFileExclusive(`${dir}/one`, `writer ${i}`)),
    );
    const won = results.filter((r) => r.status === "fulfilled").length;
    assert.equal(won, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(isPilotError(r.reason, "already_exists"));
    }
    assert.match(await Deno.readTextFile(`${dir}/one`), /^writer \d+$/);
    assert.deepEqual(names(dir), ["one"]);
  });
});

Deno.test("atomic file: racing writers over the same candidate names each take a different one", async () => {
  await withTempDir(async (dir) => {
    const pathAt = (attempt: number) => `${dir}/msg_${attempt}`;
    const taken = await Promise.all(
      Array.from({ length: 12 }, (_, i) => writeFileUnderFreeName(pathAt, 12, `writer ${i}`)),
    );
    assert.equal(new Set(taken).size, 12, "no two writers share a name");
    const contents = await Promise.all(taken.map((path) => Deno.readTextFile(String(path))));
    assert.deepEqual(contents.sort(), Array.from({ length: 12 }, (_, i) => `writer ${i}`).sort());
    assert.equal(await writeFileUnderFreeName(pathAt, 12, "late"), undefined, "every name is taken");
    assert.equal(names(dir).length, 12, "no temp file is left behind");
  });
});

Deno.test("atomic file: a name at the 255-byte limit can be written both ways", async () => {
  await withTempDir(async (dir) => {
    const long = "n".repeat(255);
    await writeFileAtomic(`${dir}/${long}`, "a");
    await writeFileExclusive(`${dir}/${long.slice(1)}`, "b");
    assert.deepEqual(names(dir), [long.slice(1), long]);
  });
});
