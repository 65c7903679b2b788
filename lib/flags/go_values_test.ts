import assert from "node:assert/strict";
import { formatGoDuration, parseGoDuration } from "./go_values.ts";

Deno.test("go values: durations print as Go's Duration.String", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [500, "500ms"],
    [30_000, "30s"],
    [120_000, "2m0s"],
    [5_400_000, "1h30m0s"],
    [1_500, "1.5s"],
    [0.0005, "500ns"],
    [0.25, "250µs"],
    [-2_000, "-2s"],
    [3_723_000, "1h2m3s"],
  ];
  for (const [ms, text] of cases) assert.equal(formatGoDuration(ms), text, text);
});

Deno.test("go values: what formatGoDuration prints, parseGoDuration reads back", () => {
  for (const ms of [1, 999, 1_000, 59_999, 61_000, 3_600_000, 86_400_000, 0.001, 12.5]) {
    assert.equal(parseGoDuration(formatGoDuration(ms)), ms, String(ms));
  }
});
