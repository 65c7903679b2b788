import assert from "node:assert/strict";
import { joinHostPort, listenAddress, splitHostPort } from "./host_port.ts";

Deno.test("host port: Go's host:port forms split into host and port", () => {
  assert.deepEqual(splitHostPort(":9001"), { host: "", port: 9001 });
  assert.deepEqual(splitHostPort("127.0.0.1:0"), { host: "127.0.0.1", port: 0 });
  assert.deepEqual(splitHostPort("[::1]:9001"), { host: "::1", port: 9001 });
  assert.deepEqual(splitHostPort("example.com:80"), { host: "example.com", port: 80 });
  assert.deepEqual(listenAddress(":9001"), { hostname: "0.0.0.0", port: 9001 });
  assert.equal(joinHostPort("::1", 5), "[::1]:5");
  assert.equal(joinHostPort("1.2.3.4", 5), "1.2.3.4:5");
});

Deno.test("host port: malformed addresses are refused with invalid_argument", () => {
  for (
    const bad of [
      "",
      "9001",
      "::1:80",
      "[::1:80",
      "[::1]]:80",
      "a]:80",
      "h:",
      "h:65536",
      "h:-1",
      "h:http",
      "h:1 ",
      "x".repeat(400) + ":1",
    ]
  ) {
    assert.throws(() => splitHostPort(bad), { code: "invalid_argument" }, bad);
  }
});
