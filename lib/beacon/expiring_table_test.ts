import assert from "node:assert/strict";
import { ExpiringTable } from "./expiring_table.ts";

Deno.test("expiring table: an entry lives for ttl after its last refresh, then is gone", () => {
  const table = new ExpiringTable<number, string>({ ttlMs: 100, maxEntries: 10 });
  table.set(1, "a", 0);
  table.set(2, "b", 50);
  assert.equal(table.get(1, 99), "a");
  table.set(1, "a2", 90); // refresh moves 1 behind 2
  assert.equal(table.sweep(149), 0);
  assert.equal(table.sweep(150), 1);
  assert.equal(table.get(2, 150), undefined);
  assert.equal(table.get(1, 189), "a2");
  assert.equal(table.get(1, 190), undefined);
  assert.equal(table.expired, 2);
  assert.equal(table.size, 0);
});

Deno.test("expiring table: past its bound the least recently refreshed entry is evicted", () => {
  const table = new ExpiringTable<number, number>({ ttlMs: 1_000, maxEntries: 3 });
  for (let id = 0; id < 3; id++) table.set(id, id, id);
  table.set(0, 0, 10); // 0 is now the most recent
  table.set(3, 3, 11);
  assert.deepEqual([...table.keys(11)], [2, 0, 3]);
  assert.equal(table.has(1, 11), false);
  assert.equal(table.evicted, 1);
  for (let id = 100; id < 10_000; id++) table.set(id, id, 20);
  assert.equal(table.size, 3);
  assert.deepEqual([...table.keys(20)], [9_997, 9_998, 9_999]);
});

Deno.test("expiring table: deleteWhere removes matching entries only", () => {
  const table = new ExpiringTable<number, string>({ ttlMs: 1_000, maxEntries: 10 });
  table.set(1, "peer-a", 0);
  table.set(2, "peer-b", 0);
  table.set(3, "peer-a", 0);
  assert.equal(table.deleteWhere((v) => v === "peer-a"), 2);
  assert.deepEqual([...table.keys(0)], [2]);
  assert.throws(() => new ExpiringTable({ ttlMs: 0, maxEntries: 1 }));
  assert.throws(() => new ExpiringTable({ ttlMs: 1, maxEntries: 0 }));
});
