import assert from "node:assert/strict";
import { formatLocalRfc3339 } from "./_time.ts";
import {
  clearInbox,
  formatInboxPreview,
  formatInboxRecord,
  inboxDir,
  inboxPayload,
  listInbox,
  saveInboxMessage,
} from "./inbox_store.ts";

const text = new TextEncoder();
const FROM = "0:0000.0000.0002";
// Built from local components, so the stamp reads the same in any time zone.
const AT = new Date(2026, 10, 24, 18, 33, 2, 877);

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.makeTempDir({ prefix: "dx-inbox-" });
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("inbox store: a text message is the reference's record under the reference's name", async () => {
  await withHome(async (home) => {
    const stored = await saveInboxMessage(home, {
      type: 1,
      payload: text.encode("task complete"),
      from: FROM,
      receivedAt: AT,
    });
    assert.equal(stored.name, "TEXT-20261124-183302.877.json");
    const content = await Deno.readTextFile(stored.path);
    assert.equal(
      content,
      `{"bytes":13,"data":"task complete","from":"0:0000.0000.0002","received_at":"${
        formatLocalRfc3339(AT)
      }","type":"TEXT"}`,
    );
    assert.match(formatLocalRfc3339(AT), /^2026-11-24T18:33:02(Z|[+-]\d\d:\d\d)$/);
    assert.equal(((await Deno.stat(stored.path)).mode ?? 0) & 0o777, 0o600);
    assert.equal(((await Deno.stat(inboxDir(home))).mode ?? 0) & 0o777, 0o700);
  });
});

Deno.test("inbox store: JSON is stored as an escaped string, not embedded", () => {
  const record = formatInboxRecord({
    type: 3,
    payload: text.encode('{"a":"<b>"}'),
    from: FROM,
    receivedAt: AT,
  });
  assert.ok(record.startsWith('{"bytes":11,"data":"{\\"a\\":\\"\\u003cb\\u003e\\"}","from":'), record);
  assert.ok(record.endsWith('"type":"JSON"}'));
});

Deno.test("inbox store: a non-UTF-8 payload keeps the reference's lossy data plus its exact bytes", async () => {
  await withHome(async (home) => {
    const payload = Uint8Array.fromHex("fffe6f6be280a800ff");
    const stored = await saveInboxMessage(home, { type: 2, payload, from: FROM, receivedAt: AT });
    assert.equal(stored.name, "BINARY-20261124-183302.877.json");
    const record = JSON.parse(await Deno.readTextFile(stored.path));
    assert.equal(record.data, "\ufffd\ufffdok\u2028\u0000\ufffd");
    assert.equal(record.bytes, 9);
    const listed = await listInbox(home);
    assert.deepEqual(inboxPayload(listed.messages[0]?.record ?? {}), payload);
    // A valid UTF-8 binary payload needs no extra field: the record is the reference's.
    const plain = formatInboxRecord({ type: 2, payload: text.encode("bin"), from: FROM, receivedAt: AT });
    assert.ok(!plain.includes("data_base64"));
  });
});

Deno.test("inbox store: two messages of one type in the same millisecond both survive, in order", async () => {
  await withHome(async (home) => {
    const names = [];
    for (const word of ["first", "second", "third"]) {
      names.push(
        (await saveInboxMessage(home, { type: 1, payload: text.encode(word), from: FROM, receivedAt: AT }))
          .name,
      );
    }
    assert.deepEqual(names, [
      "TEXT-20261124-183302.877.json",
      "TEXT-20261124-183302.877_001.json",
      "TEXT-20261124-183302.877_002.json",
    ]);
    const listed = await listInbox(home);
    assert.deepEqual(listed.messages.map((message) => message.data), ["first", "second", "third"]);
  });
});

Deno.test("inbox store: listing skips foreign and damaged files with a reason and never throws", async () => {
  await withHome(async (home) => {
    await saveInboxMessage(home, { type: 1, payload: text.encode("ok"), from: FROM, receivedAt: AT });
    const dir = inboxDir(home);
    await Deno.writeTextFile(`${dir}/A-garbage.json`, "{not json");
    await Deno.writeTextFile(`${dir}/B-array.json`, "[1,2]");
    await Deno.writeTextFile(`${dir}/C-null.json`, "null");
    await Deno.writeTextFile(`${dir}/D-partial.json`, '{"bytes":3,"da');
    await Deno.writeFile(`${dir}/E-binary`, Uint8Array.fromHex("00ff00ff"));
    await Deno.writeTextFile(`${dir}/.TEXT-x.json.0123456789abcdef.tmp`, '{"bytes":1');
    await Deno.writeTextFile(`${dir}/F-fields.json`, '{"data":7,"type":["x"]}');
    await Deno.mkdir(`${dir}/G-subdir`);
    const listed = await listInbox(home);
    assert.deepEqual(listed.messages.map((message) => message.file), [
      "F-fields.json",
      "TEXT-20261124-183302.877.json",
    ]);
    assert.deepEqual(
      {
        type: listed.messages[0]?.type,
        data: listed.messages[0]?.data,
        bytes: listed.messages[0]?.bytes,
      },
      { type: "", data: "", bytes: undefined },
    );
    assert.equal(listed.total, 2);
    assert.deepEqual(listed.skipped.map((entry) => entry.name), [
      ".TEXT-x.json.0123456789abcdef.tmp",
      "A-garbage.json",
      "B-array.json",
      "C-null.json",
      "D-partial.json",
      "E-binary",
    ]);
    for (const entry of listed.skipped) assert.ok(entry.reason.length > 0);
  });
});

Deno.test("inbox store: a missing folder lists empty without a dir, and clearing it is not_found", async () => {
  await withHome(async (home) => {
    assert.deepEqual(await listInbox(home), { dir: undefined, messages: [], total: 0, skipped: [] });
    await assert.rejects(clearInbox(home), { code: "not_found", message: "inbox is empty" });
  });
});

Deno.test("inbox store: clearing removes every entry but folders and unfinished writes, and counts them", async () => {
  await withHome(async (home) => {
    await saveInboxMessage(home, { type: 1, payload: text.encode("a"), from: FROM, receivedAt: AT });
    await saveInboxMessage(home, { type: 3, payload: text.encode("{}"), from: FROM, receivedAt: AT });
    const dir = inboxDir(home);
    await Deno.writeTextFile(`${dir}/foreign.txt`, "x");
    await Deno.mkdir(`${dir}/keep`);
    await Deno.writeTextFile(`${dir}/.a.0123456789abcdef.tmp`, "x");
    assert.deepEqual(await clearInbox(home), { cleared: 3 });
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left.sort(), [".a.0123456789abcdef.tmp", "keep"]);
    assert.deepEqual(await clearInbox(home), { cleared: 0 });
    const empty = await listInbox(home);
    assert.equal(empty.dir, dir);
    assert.deepEqual(empty.messages, []);
  });
});

Deno.test("inbox store: a store failure is a PilotError, not a crash", async () => {
  await withHome(async (home) => {
    await Deno.writeTextFile(inboxDir(home), "a file where the folder should be");
    await assert.rejects(
      saveInboxMessage(home, { type: 1, payload: text.encode("x"), from: FROM, receivedAt: AT }),
      { code: "store_write_failed" },
    );
    await assert.rejects(
      saveInboxMessage(home, { type: 4, payload: text.encode("x"), from: FROM, receivedAt: AT }),
      { code: "invalid_argument" },
    );
  });
});

Deno.test("inbox store: when all 1,000 names of a millisecond are taken, nothing is overwritten", async () => {
  await withHome(async (home) => {
    const dir = inboxDir(home);
    await Deno.mkdir(dir);
    const base = "TEXT-20261124-183302.877";
    const taken = [`${base}.json`];
    for (let i = 1; i <= 999; i++) taken.push(`${base}_${String(i).padStart(3, "0")}.json`);
    for (const name of taken) await Deno.writeTextFile(`${dir}/${name}`, "kept");
    await assert.rejects(
      saveInboxMessage(home, { type: 1, payload: text.encode("late"), from: FROM, receivedAt: AT }),
      { code: "store_name_exhausted", message: `1000 names taken for ${base}.json` },
    );
    const left = [];
    for await (const entry of Deno.readDir(dir)) left.push(entry.name);
    assert.deepEqual(left.sort(), taken.sort(), "no temp file left, no name added");
    assert.equal(await Deno.readTextFile(`${dir}/${base}_999.json`), "kept");
  });
});

Deno.test("inbox store: previews cut at 80 bytes and add ...", () => {
  assert.equal(formatInboxPreview("short"), "short");
  assert.equal(formatInboxPreview("x".repeat(80)), "x".repeat(80));
  assert.equal(formatInboxPreview("x".repeat(81)), `${"x".repeat(80)}...`);
});
