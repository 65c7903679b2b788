import assert from "node:assert/strict";
import {
  firstAutoIp,
  formatIpv4,
  formatSubnet,
  isLoopbackRange,
  parseIpv4,
  parseSubnet,
  subnetContains,
} from "./ipv4.ts";

Deno.test("ipv4: dotted quads parse as Go's ParseIP does for IPv4", () => {
  assert.equal(parseIpv4("10.4.0.1"), 0x0A040001);
  assert.equal(parseIpv4("255.255.255.255"), 0xFFFFFFFF);
  assert.equal(parseIpv4("0.0.0.0"), 0);
  for (
    const bad of [
      "",
      "10.4.0",
      "10.4.0.1.2",
      "10.4.0.256",
      "10.4.0.01",
      "10.4.0.-1",
      " 10.4.0.1",
      "a.b.c.d",
      "::1",
      "1e1.0.0.0",
      "10..0.1",
    ]
  ) {
    assert.equal(parseIpv4(bad), undefined, bad);
  }
  assert.equal(parseIpv4("1".repeat(100_000)), undefined);
  assert.equal(formatIpv4(0x0A040001), "10.4.0.1");
  assert.equal(formatIpv4(0xFFFFFFFF), "255.255.255.255");
});

Deno.test("ipv4: subnets clear host bits and refuse anything else with Go's text", () => {
  assert.deepEqual(parseSubnet("10.4.0.0/16"), { network: 0x0A040000, prefix: 16 });
  assert.equal(formatSubnet(parseSubnet("10.4.9.9/16")), "10.4.0.0/16");
  assert.equal(formatSubnet(parseSubnet("1.2.3.4/0")), "0.0.0.0/0");
  assert.equal(formatSubnet(parseSubnet("1.2.3.4/32")), "1.2.3.4/32");
  assert.equal(formatSubnet(parseSubnet("10.4.0.0/016")), "10.4.0.0/16");
  for (
    const bad of [
      "bogus",
      "10.4.0.0",
      "10.4.0.0/",
      "10.4.0.0/33",
      "10.4.0.0/-1",
      "10.4.0.0/1x",
      "10.4.0/16",
      "fd00::/64",
      "x".repeat(10_000),
    ]
  ) {
    assert.throws(() => parseSubnet(bad), {
      code: "service_gateway_bad_subnet",
      message: `invalid CIDR address: ${bad}`,
    });
  }
});

Deno.test("ipv4: containment, first automatic IP and the loopback range", () => {
  const subnet = parseSubnet("10.4.0.0/16");
  assert.ok(subnetContains(subnet, 0x0A04FFFF));
  assert.ok(!subnetContains(subnet, 0x0A050000));
  assert.equal(formatIpv4(firstAutoIp(subnet)), "10.4.0.1");
  assert.equal(
    formatIpv4(firstAutoIp(parseSubnet("10.4.7.128/25"))),
    "10.4.7.1",
    "outside the /25: exhausted",
  );
  assert.ok(subnetContains(parseSubnet("0.0.0.0/0"), 0xFFFFFFFF));
  assert.ok(isLoopbackRange(parseIpv4("127.77.0.1") ?? 0));
  assert.ok(!isLoopbackRange(parseIpv4("128.0.0.1") ?? 0));
});
