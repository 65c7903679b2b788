import assert from "node:assert/strict";
import { parseSubnet } from "./ipv4.ts";
import { MappingTable, MAX_MAPPINGS } from "./mapping_table.ts";

const node = (n: number) => ({ network: 0, node: n });

Deno.test("mapping table: automatic IPs start at .1 and step over explicit ones", () => {
  const table = new MappingTable(parseSubnet("10.4.0.0/16"));
  assert.equal(table.map(node(2)).mapping.localIp, "10.4.0.1");
  assert.equal(table.map(node(3), "10.4.0.2").mapping.localIp, "10.4.0.2");
  assert.equal(table.map(node(4)).mapping.localIp, "10.4.0.3");
  assert.deepEqual(table.list().map((m) => m.localIp), ["10.4.0.1", "10.4.0.2", "10.4.0.3"]);
  assert.equal(table.size, 3);
});

Deno.test("mapping table: re-mapping an address returns its existing IP", () => {
  const table = new MappingTable(parseSubnet("10.4.0.0/16"));
  const first = table.map(node(2));
  const again = table.map(node(2), "10.4.0.99");
  assert.equal(again.isNew, false);
  assert.equal(again.mapping, first.mapping);
  assert.equal(table.size, 1);
});

Deno.test("mapping table: .255 and .0 are handed out, and the cursor crosses bytes", () => {
  const table = new MappingTable(parseSubnet("10.4.0.0/16"));
  table.map(node(1), "10.4.0.254");
  for (let i = 1; i <= 253; i++) table.map(node(100 + i));
  assert.equal(table.map(node(2)).mapping.localIp, "10.4.0.255");
  assert.equal(table.map(node(3)).mapping.localIp, "10.4.1.0");
});

Deno.test("mapping table: the spec's error texts", () => {
  const table = new MappingTable(parseSubnet("10.4.0.0/16"));
  table.map(node(2), "10.4.0.9");
  assert.throws(() => table.map(node(3), "192.168.1.1"), {
    code: "service_gateway_not_in_subnet",
    message: "IP 192.168.1.1 not in subnet 10.4.0.0/16",
  });
  assert.throws(() => table.map(node(3), "10.4.0.9"), {
    code: "service_gateway_ip_taken",
    message: "IP 10.4.0.9 already mapped",
  });
  assert.throws(() => table.map(node(3), "bogus"), {
    code: "service_gateway_bad_ip",
    message: "invalid IP: bogus",
  });
  assert.throws(() => table.unmap("10.4.0.8"), {
    code: "service_gateway_no_mapping",
    message: "no mapping for 10.4.0.8",
  });
  assert.throws(() => table.unmap("nope"), { code: "service_gateway_bad_ip", message: "invalid IP: nope" });
  assert.equal(table.unmap("10.4.0.9").address.node, 2);
  assert.equal(table.lookup("10.4.0.9"), undefined);
  assert.equal(table.map(node(2)).mapping.localIp, "10.4.0.1", "unmapped address maps afresh");
});

Deno.test("mapping table: a small subnet runs out; a freed IP is not reused automatically", () => {
  const table = new MappingTable(parseSubnet("10.4.0.0/30"));
  assert.equal(table.map(node(1)).mapping.localIp, "10.4.0.1");
  assert.equal(table.map(node(2)).mapping.localIp, "10.4.0.2");
  assert.equal(table.map(node(3)).mapping.localIp, "10.4.0.3");
  assert.throws(() => table.map(node(4)), { code: "service_gateway_exhausted", message: "subnet exhausted" });
  table.unmap("10.4.0.2");
  assert.throws(() => table.map(node(4)), { message: "subnet exhausted" });
  assert.equal(table.map(node(4), "10.4.0.2").mapping.localIp, "10.4.0.2", "explicitly, it can be");
  const past = new MappingTable(parseSubnet("10.4.7.128/25"));
  assert.throws(() => past.map(node(1)), { message: "subnet exhausted" });
  const top = new MappingTable(parseSubnet("255.255.255.0/24"));
  top.map(node(1), "255.255.255.255");
  for (let i = 1; i < 255; i++) top.map(node(10 + i));
  assert.throws(() => top.map(node(2)), { message: "subnet exhausted" });
});

Deno.test("mapping table: the table holds at most MAX_MAPPINGS", () => {
  const table = new MappingTable(parseSubnet("10.0.0.0/8"));
  for (let i = 0; i < MAX_MAPPINGS; i++) table.map(node(i + 1));
  assert.throws(() => table.map(node(0xFFFF_0000)), { code: "service_gateway_full" });
});
