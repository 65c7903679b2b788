import assert from "node:assert/strict";
import { errorText, isPilotError, PilotError } from "./errors.ts";

Deno.test("PilotError: keeps code, hint and cause, and names itself", () => {
  const cause = new Error("lower");
  const err = new PilotError("proto_truncated", "packet too short: 3 bytes (min 34)", {
    hint: "resend",
    cause,
  });
  assert.equal(err.name, "PilotError");
  assert.equal(err.code, "proto_truncated");
  assert.equal(err.hint, "resend");
  assert.equal(err.cause, cause);
  assert.ok(err instanceof Error);
});

Deno.test("isPilotError: matches the class and, when given, the code", () => {
  const err = new PilotError("timeout", "no answer within 5s");
  assert.ok(isPilotError(err));
  assert.ok(isPilotError(err, "timeout"));
  assert.ok(!isPilotError(err, "not_found"));
  assert.ok(!isPilotError(new Error("plain")));
});

Deno.test("errorText: an Error's message, anything else through String()", () => {
  assert.equal(errorText(new PilotError("timeout", "no answer within 5s")), "no answer within 5s");
  assert.equal(errorText(new TypeError("bad")), "bad");
  assert.equal(errorText("plain"), "plain");
  assert.equal(errorText(undefined), "undefined");
});
