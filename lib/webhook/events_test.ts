import assert from "node:assert/strict";
import { isWebhookEventName, WEBHOOK_EVENT_NAMES } from "./events.ts";

const CONTROL_SPEC = new URL("../../../shared/spec/control.md", import.meta.url);

/** The event names of the §10.8 table, read from the spec itself. */
async function specEventNames(): Promise<string[]> {
  const text = await Deno.readTextFile(CONTROL_SPEC);
  const start = text.indexOf("### 10.8 Webhooks");
  const end = text.indexOf("## 11.", start);
  assert.ok(start >= 0 && end > start, "control.md §10.8 not found");
  const names: string[] = [];
  for (const line of text.slice(start, end).split("\n")) {
    if (!line.startsWith("| `")) continue;
    const firstCell = line.split("|")[1] ?? "";
    for (const match of firstCell.matchAll(/`([a-z_.]+)`/g)) names.push(match[1] ?? "");
  }
  return names;
}

Deno.test("WEBHOOK_EVENT_NAMES: lists exactly the events of the control.md §10.8 table, in its order", async () => {
  const names = await specEventNames();
  assert.equal(names.length, 26);
  assert.deepEqual([...WEBHOOK_EVENT_NAMES], names);
});

Deno.test("isWebhookEventName: accepts the table's names and nothing else", () => {
  for (const name of WEBHOOK_EVENT_NAMES) assert.ok(isWebhookEventName(name), name);
  for (
    const name of ["", "node", "trust.revoked ", "task.submitted", "toString", "__proto__", "constructor"]
  ) {
    assert.equal(isWebhookEventName(name), false, name);
  }
});
