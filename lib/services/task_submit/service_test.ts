import assert from "node:assert/strict";
import { createLogger, type LogRecord } from "../../log.ts";
import { type Address, formatAddress } from "../../protocol/address.ts";
import { parseTaskFile } from "./task_file.ts";
import { TaskService } from "./service.ts";

/** One node of the pair: a task service on a real TCP listener; every incoming connection is "the other". */
interface Node {
  service: TaskService<Deno.TcpConn>;
  home: string;
  address: string;
  records: LogRecord[];
  waitFor(match: (r: LogRecord) => boolean): Promise<LogRecord>;
}

async function startPair(
  options: { acceptTimeoutMs?: number; expiryMs?: number } = {},
): Promise<[Node, Node]> {
  const listeners = [
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  ];
  const nodes: Node[] = [];
  for (let i = 0; i < 2; i++) {
    const nodeId = i + 1;
    const other = 2 - i;
    const records: LogRecord[] = [];
    const waiters: Array<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }> = [];
    const logger = createLogger({
      level: "debug",
      sink: (r) => {
        records.push(r);
        for (let w = waiters.length - 1; w >= 0; w--) {
          if (waiters[w].match(r)) waiters.splice(w, 1)[0].resolve(r);
        }
      },
    });
    const home = await Deno.makeTempDir();
    const address = formatAddress({ network: 0, node: nodeId });
    const service = await TaskService.start(listeners[i], {
      home,
      self: () => ({ nodeId, address }),
      peerOf: () => ({ nodeId: other, address: formatAddress({ network: 0, node: other }) }),
      dial: (to: Address) => {
        const listener = listeners[to.node - 1];
        if (listener === undefined) return Promise.reject(new Error("no such node"));
        return Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
      },
      logger,
      ...options,
    });
    nodes.push({
      service,
      home,
      address,
      records,
      waitFor: (match) => {
        const found = records.find(match);
        if (found !== undefined) return Promise.resolve(found);
        const { promise, resolve } = Promise.withResolvers<LogRecord>();
        waiters.push({ match, resolve });
        return promise;
      },
    });
  }
  return [nodes[0], nodes[1]];
}

async function stop(nodes: Node[]): Promise<void> {
  for (const node of nodes) {
    await node.service.close();
    await Deno.remove(node.home, { recursive: true });
  }
}

const updated = (id: string, status: string) => (r: LogRecord) =>
  r.msg === "task status updated" && r.attrs.task_id === id && r.attrs.status === status;

Deno.test("task service: a full cycle over TCP ends SUCCEEDED on both sides with the result stored", async () => {
  const [a, b] = await startPair();
  try {
    const submitted = await a.service.request({ op: "submit", target: b.address, description: "work" });
    assert.equal(submitted.accepted, true, String(submitted.message));
    const id = String(submitted.task_id);
    assert.equal((await b.service.request({ op: "accept", taskId: id })).message, "Task accepted");
    await a.waitFor(updated(id, "ACCEPTED"));
    assert.equal((await b.service.request({ op: "execute" })).task_id, id);
    await a.waitFor(updated(id, "EXECUTING"));
    const sent = await b.service.request({ op: "send_results", taskId: id, text: "answer" });
    assert.equal(sent.status, "SUCCEEDED");
    await a.waitFor(updated(id, "SUCCEEDED"));
    assert.equal(await Deno.readTextFile(`${a.home}/tasks/results/${id}_result.txt`), "answer");
    const received = parseTaskFile(await Deno.readFile(`${b.home}/tasks/received/${id}.json`));
    assert.equal(received.status, "SUCCEEDED");
    assert.ok(received.executeStartedAt !== undefined && received.completedAt !== undefined);
    await assert.rejects(b.service.request({ op: "send_results", taskId: id, text: "again" }), {
      code: "service_invalid_state",
      message: `task ${id} cannot receive results (status: SUCCEEDED)`,
    });
  } finally {
    await stop([a, b]);
  }
});

Deno.test("task service: an unanswered task is cancelled by the timer and the submitter told", async () => {
  const [a, b] = await startPair({ acceptTimeoutMs: 50 });
  try {
    const id = String(
      (await a.service.request({ op: "submit", target: b.address, description: "late" })).task_id,
    );
    await a.waitFor(updated(id, "CANCELLED"));
    await assert.rejects(b.service.request({ op: "accept", taskId: id }), { code: "service_invalid_state" });
  } finally {
    await stop([a, b]);
  }
});

Deno.test("task service: local requests fail with the CLI's codes", async () => {
  const [a, b] = await startPair();
  try {
    const missing = "00000000-0000-0000-0000-000000000000";
    await assert.rejects(b.service.request({ op: "accept", taskId: missing }), {
      code: "not_found",
      message: `task not found: ${missing}`,
      hint: "check pilotctl task list --type received",
    });
    await assert.rejects(b.service.request({ op: "accept", taskId: "../x" }), { code: "not_found" });
    await assert.rejects(b.service.request({ op: "execute" }), {
      code: "not_found",
      message: "no received tasks found",
    });
    await assert.rejects(a.service.request({ op: "submit", target: "0:0000.0000.0009", description: "x" }), {
      code: "connection_failed",
      message: "cannot connect to 0:0000.0000.0009 (task submit port 1003)",
    });
  } finally {
    await stop([a, b]);
  }
});
