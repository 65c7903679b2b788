import { deepEqual, equal } from "node:assert/strict";
import { EphemeralPorts } from "./ephemeral_ports.ts";
import type { PortUse } from "./ephemeral_ports.ts";

Deno.test("ephemeral ports: allocation starts at 49152, skips busy ports and wraps after 65535", () => {
  const ports = new EphemeralPorts();
  const busy = new Map<number, PortUse>([[49153, "active"], [49154, "time-wait"]]);
  const use = (p: number): PortUse => busy.get(p) ?? "free";
  deepEqual([ports.allocate(use), ports.allocate(use)], [49152, 49155]);
  for (let i = 49156; i < 65535; i++) ports.next();
  equal(ports.allocate(use), 65535);
  equal(ports.allocate(use), 49152, "wrapped");
});

Deno.test("ephemeral ports: with every port busy a TIME_WAIT port is preferred, else the last candidate", () => {
  const ports = new EphemeralPorts();
  equal(ports.allocate((p) => p === 50_000 ? "time-wait" : "active"), 50_000);
  const all = new EphemeralPorts();
  equal(all.allocate(() => "active"), 65535);
});
