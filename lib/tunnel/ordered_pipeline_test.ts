import assert from "node:assert/strict";
import { OrderedPipeline } from "./ordered_pipeline.ts";

Deno.test("OrderedPipeline: hands results on in submission order whatever order they finish in", async () => {
  const out: string[] = [];
  const pipeline = new OrderedPipeline<number>({
    deliver: (n) => out.push(`ok${n}`),
    fail: (e) => out.push(`${e}`),
  });
  const releases: (() => void)[] = [];
  for (let i = 0; i < 5; i++) {
    pipeline.push(
      new Promise<number>((resolve, reject) => releases.push(() => i === 2 ? reject("bad2") : resolve(i))),
    );
  }
  const room = pipeline.room(3);
  for (const i of [4, 3, 1]) releases[i]();
  await Promise.resolve();
  assert.deepEqual(out, [], "nothing before the first finishes");
  releases[0]();
  releases[2]();
  await room;
  await pipeline.drained();
  assert.deepEqual(out, ["ok0", "ok1", "bad2", "ok3", "ok4"]);
  assert.equal(pipeline.size, 0);
});
