import assert from "node:assert/strict";
import { isPilotError } from "../errors.ts";
import { dateToEpochNs, formatRfc3339Nano, wallClockNs } from "./timestamp.ts";

// 2026-11-24T18:34:03Z, the second of the §12.10 captures.
const CAPTURE_SECOND = 1_795_545_243n * 1_000_000_000n;

Deno.test("formatRfc3339Nano: writes the §12.10 time stamps digit for digit", () => {
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 521_488_654n), "2026-11-24T18:34:03.521488654Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 609_040_104n), "2026-11-24T18:34:03.609040104Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 636_345_883n), "2026-11-24T18:34:03.636345883Z");
});

Deno.test("formatRfc3339Nano: trims trailing zeros and drops the dot on a whole second", () => {
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND), "2026-11-24T18:34:03Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 500_000_000n), "2026-11-24T18:34:03.5Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 521_000_000n), "2026-11-24T18:34:03.521Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 521_488_000n), "2026-11-24T18:34:03.521488Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 1n), "2026-11-24T18:34:03.000000001Z");
  assert.equal(formatRfc3339Nano(CAPTURE_SECOND + 10n), "2026-11-24T18:34:03.00000001Z");
});

Deno.test("formatRfc3339Nano: instants before 1970 keep a positive fraction", () => {
  assert.equal(formatRfc3339Nano(0n), "1970-01-01T00:00:00Z");
  assert.equal(formatRfc3339Nano(-1n), "1969-12-31T23:59:59.999999999Z");
  assert.equal(formatRfc3339Nano(-1_500_000_000n), "1969-12-31T23:59:58.5Z");
});

Deno.test("formatRfc3339Nano: years 0 and 9999 are written with four digits, others are refused", () => {
  // Date.UTC maps years 0-99 to 1900-1999, so year 0 is reached through setUTCFullYear.
  const d = new Date(0);
  d.setUTCFullYear(0, 0, 1);
  assert.equal(formatRfc3339Nano(dateToEpochNs(d)), "0000-01-01T00:00:00Z");
  const last = new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  assert.equal(formatRfc3339Nano(dateToEpochNs(last) + 999_999n), "9999-12-31T23:59:59.999999999Z");
  for (const bad of [dateToEpochNs(last) + 1_000_000n, dateToEpochNs(d) - 1n, 10n ** 30n, -(10n ** 30n)]) {
    assert.throws(() => formatRfc3339Nano(bad), (err) => isPilotError(err, "service_webhook_time"));
  }
});

Deno.test("dateToEpochNs: converts milliseconds and refuses an invalid date", () => {
  assert.equal(dateToEpochNs(new Date(1_795_545_243_521)), CAPTURE_SECOND + 521_000_000n);
  assert.throws(
    () => dateToEpochNs(new Date(Number.NaN)),
    (err) => isPilotError(err, "service_webhook_time"),
  );
});

Deno.test("wallClockNs: agrees with Date.now and carries no digits below the microsecond", () => {
  for (let i = 0; i < 100; i++) {
    const before = BigInt(Date.now()) * 1_000_000n;
    const now = wallClockNs();
    const after = BigInt(Date.now()) * 1_000_000n;
    assert.ok(now >= before - 1_000_000n, `${now} is more than 1 ms before ${before}`);
    assert.ok(now < after + 2_000_000n, `${now} is more than 2 ms after ${after}`);
    assert.equal(now % 1000n, 0n, "nanosecond digits would be invented");
  }
});
