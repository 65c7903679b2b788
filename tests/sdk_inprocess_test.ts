/**
 * The in-process SDK on two real stacks over real tunnels: hostnames through the injected resolver,
 * text addresses, datagram iteration with a port filter, and its errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isPilotError } from "../lib/errors.ts";
import { Pilot } from "../lib/sdk/mod.ts";
import { withDeadline } from "./_helpers/deadline.ts";
import { readExactly, stackPair, writeAll } from "./_helpers/stack_pair.ts";

Deno.test("sdk: dial by hostname through the resolver, echo, close", async () => {
  await using pair = stackPair({ encrypt: true });
  const asked: string[] = [];
  const client = new Pilot(pair.a, {
    resolveHostname: (name) => {
      asked.push(name);
      return Promise.resolve(pair.addrB);
    },
  });
  const server = new Pilot(pair.b);
  using listener = server.listen({ port: 3000 });
  const serving = (async () => {
    const conn = await listener.accept();
    const got = await readExactly(conn, 5);
    await writeAll(conn, got);
    conn.close();
  })();
  const conn = await client.dial("beta", 3000);
  assert.deepEqual(asked, ["beta"]);
  assert.equal(conn.remoteAddr.address.node, 2);
  await writeAll(conn, new TextEncoder().encode("hello"));
  assert.equal(new TextDecoder().decode(await readExactly(conn, 5)), "hello");
  conn.close();
  await withDeadline(serving, 5_000, "server done");
});

Deno.test("sdk: a text address dials directly; a malformed one and a hostname without resolver fail", async () => {
  await using pair = stackPair({ encrypt: false });
  const client = new Pilot(pair.a);
  using listener = new Pilot(pair.b).listen({ port: 3001 });
  const accepted = listener.accept();
  const conn = await client.dial("0:0000.0000.0002", 3001);
  (await accepted).close();
  conn.close();
  await assert.rejects(client.dial("0:0000.0000", 3001), (err) => isPilotError(err, "invalid_argument"));
  await assert.rejects(client.dial("beta", 3001), (err) => isPilotError(err, "not_found"));
});

Deno.test("sdk: datagrams() yields datagrams to its port with their ports; leaving the loop closes it", async () => {
  await using pair = stackPair({ encrypt: false });
  const client = new Pilot(pair.a);
  const server = new Pilot(pair.b);
  const receiver = server.datagrams({ port: 6000 });
  const first = (async () => {
    for await (const d of receiver) return d;
  })();
  await client.sendDatagram(pair.addrB, 6001, new Uint8Array([9])); // other port: filtered out
  await client.sendDatagram("0:0000.0000.0002", 6000, new Uint8Array([1, 2]));
  const got = await withDeadline(first, 5_000, "datagram on port 6000");
  assert.ok(got !== undefined);
  assert.deepEqual([...got.data], [1, 2]);
  assert.equal(got.dstPort, 6000);
  assert.equal(got.srcPort, 49153);
  assert.equal(await receiver.receive(), undefined, "closed by leaving the loop");
  assert.ok((await client.ping(pair.addrB)) >= 0);
});
