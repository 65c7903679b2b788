/**
 * `received` and `inbox` (cli.md §15) over real directories in a temp HOME, laid out as the daemon's
 * data-exchange service writes them (services.md §4.3–§4.4).
 */

import assert from "node:assert/strict";
import { runInProcess } from "../cli/_testing.ts";
import { previewOf, renderInbox, renderReceived } from "../cli/commands/mailbox.ts";

const utc = new Date(0).getTimezoneOffset() === 0;

Deno.test("mailbox: missing directories list as empty, clearing them is not_found", async () => {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  try {
    const vars = { HOME: home };
    assert.equal(
      (await runInProcess(["--json", "received"], vars)).stdout,
      '{"data":{"files":[],"total":0},"status":"ok"}\n',
    );
    assert.equal(
      (await runInProcess(["--json", "inbox"], vars)).stdout,
      '{"data":{"messages":[],"total":0},"status":"ok"}\n',
    );
    assert.equal(
      (await runInProcess(["received"], vars)).stdout,
      "no received files\n  files appear here when someone sends: pilotctl send-file <your-hostname> <file>\n",
    );
    assert.equal(
      (await runInProcess(["inbox"], vars)).stdout,
      'inbox is empty\n  messages appear here when someone sends: pilotctl send-message <your-hostname> --data "hello"\n',
    );
    assert.equal((await runInProcess(["received", "--clear"], vars)).stderr, "error: no received files\n");
    assert.equal(
      JSON.parse((await runInProcess(["--json", "inbox", "--clear"], vars)).stderr).code,
      "not_found",
    );
    const noHome = await runInProcess(["--json", "inbox"], {});
    assert.deepEqual(JSON.parse(noHome.stderr), {
      code: "internal",
      message: "cannot determine home directory",
      status: "error",
    });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mailbox: inbox lists messages in file-name order, skips bad files, clears them (§15.2)", async () => {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  try {
    const dir = `${home}/.pilot/inbox`;
    await Deno.mkdir(`${dir}/subdir`, { recursive: true });
    const vars = { HOME: home };
    assert.equal(
      (await runInProcess(["--json", "inbox"], vars)).stdout,
      `{"data":{"dir":"${dir}","messages":null,"total":0},"status":"ok"}\n`,
    );
    const message = (type: string, data: string) =>
      `{"bytes":${new TextEncoder().encode(data).byteLength},"data":${
        JSON.stringify(data)
      },"from":"0:0000.0000.0001","received_at":"2026-11-24T18:31:36Z","type":"${type}"}`;
    await Deno.writeTextFile(`${dir}/TEXT-20261124-183136.100.json`, message("TEXT", "hello inbox"));
    await Deno.writeTextFile(`${dir}/BINARY-20261124-183136.300.json`, message("BINARY", "bin"));
    await Deno.writeTextFile(`${dir}/JSON-20261124-183136.200.json`, message("JSON", '{"a":1}'));
    await Deno.writeTextFile(`${dir}/ZZZ-broken.json`, "{not json");
    await Deno.writeTextFile(`${dir}/ZZZ-array.json`, "[1]");
    const text = await runInProcess(["inbox"], vars);
    assert.equal(
      text.stdout,
      `Inbox (3 messages):

  [2026-11-24T18:31:36Z] from 0:0000.0000.0001 type=BINARY
    bin
  [2026-11-24T18:31:36Z] from 0:0000.0000.0001 type=JSON
    {"a":1}
  [2026-11-24T18:31:36Z] from 0:0000.0000.0001 type=TEXT
    hello inbox

clear with: pilotctl inbox --clear
`,
    );
    const json = JSON.parse((await runInProcess(["--json", "inbox"], vars)).stdout).data;
    assert.equal(json.total, 3);
    assert.deepEqual(json.messages.map((m: { type: string }) => m.type), ["BINARY", "JSON", "TEXT"]);
    assert.equal((await runInProcess(["inbox", "--clear"], vars)).stdout, "cleared 5 message(s)\n");
    assert.equal(
      (await runInProcess(["--json", "inbox", "--clear"], vars)).stdout,
      '{"data":{"cleared":0},"status":"ok"}\n',
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mailbox: received lists files with size and local mtime, then clears them (§15.1)", async () => {
  const home = await Deno.makeTempDir({ prefix: "pctl-" });
  try {
    const dir = `${home}/.pilot/received`;
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(`${dir}/report-20261124-183136.426.txt`, "hello report\n");
    await Deno.writeTextFile(`${dir}/report-20261124-183136.367.txt`, "x".repeat(1331));
    const stamp = new Date(Date.UTC(2026, 10, 24, 18, 31, 36));
    await Deno.utime(`${dir}/report-20261124-183136.367.txt`, stamp, stamp);
    await Deno.utime(`${dir}/report-20261124-183136.426.txt`, stamp, stamp);
    const vars = { HOME: home };
    const json = JSON.parse((await runInProcess(["--json", "received"], vars)).stdout).data;
    assert.equal(json.dir, dir);
    assert.equal(json.total, 2);
    assert.deepEqual(json.files.map((f: { name: string; bytes: number }) => [f.name, f.bytes]), [
      ["report-20261124-183136.367.txt", 1331],
      ["report-20261124-183136.426.txt", 13],
    ]);
    assert.equal(json.files[0].path, `${dir}/report-20261124-183136.367.txt`);
    if (utc) {
      assert.equal(
        (await runInProcess(["received"], vars)).stdout,
        `Received files (${dir}):

  NAME                                      SIZE        RECEIVED
  report-20261124-183136.367.txt            1.3 KB      2026-11-24T18:31:36Z
  report-20261124-183136.426.txt            13 B        2026-11-24T18:31:36Z

total: 2
`,
      );
    }
    assert.equal((await runInProcess(["received", "--clear"], vars)).stdout, "cleared 2 received file(s)\n");
    assert.equal(
      (await runInProcess(["--json", "received"], vars)).stdout,
      `{"data":{"dir":"${dir}","files":null,"total":0},"status":"ok"}\n`,
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mailbox: the preview is the first 80 bytes plus '...', and missing fields print empty", () => {
  assert.equal(previewOf("a".repeat(80)), "a".repeat(80));
  assert.equal(previewOf("a".repeat(81)), `${"a".repeat(80)}...`);
  assert.equal(
    renderInbox([{}]),
    "Inbox (1 messages):\n\n  [] from  type=\n    \n\nclear with: pilotctl inbox --clear",
  );
  assert.equal(renderReceived("/d", []).split("\n")[0], "no received files");
});
