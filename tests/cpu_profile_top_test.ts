// The profile summariser behind the performance notes: self and inclusive time per function.

import assert from "node:assert/strict";
import { timePerFunction } from "../scripts/cpu_profile_top.ts";

const frame = (functionName: string, lineNumber: number) => ({
  functionName,
  url: "file:///repo/lib/transport/stack.ts",
  lineNumber,
});

// root → outer → inner (a recursive call of outer sits under inner).
const profile = {
  nodes: [
    { id: 1, callFrame: frame("", 0), children: [2] },
    { id: 2, callFrame: frame("outer", 9), children: [3] },
    { id: 3, callFrame: frame("inner", 19), children: [4] },
    { id: 4, callFrame: frame("outer", 9) },
  ],
  samples: [2, 3, 3, 4],
  timeDeltas: [100, 200, 300, 400],
};

Deno.test("cpu profile summary: self time per function sums its samples", () => {
  const self = timePerFunction(profile, false);
  assert.equal(self.get("outer transport/stack.ts:10"), 500);
  assert.equal(self.get("inner transport/stack.ts:20"), 500);
  assert.equal(self.get("(anonymous) transport/stack.ts:1"), undefined);
});

Deno.test("cpu profile summary: inclusive time counts a recursive function once per stack", () => {
  const inclusive = timePerFunction(profile, true);
  assert.equal(inclusive.get("outer transport/stack.ts:10"), 1000);
  assert.equal(inclusive.get("inner transport/stack.ts:20"), 900);
  assert.equal(inclusive.get("(anonymous) transport/stack.ts:1"), 1000);
});
