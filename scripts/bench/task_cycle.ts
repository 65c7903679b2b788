/**
 * Tasks through the full marketplace cycle between two daemons (issue #6 item 6): submit → accept →
 * execute → send-results (text), driven over IPC the way pilotctl does (local requests to each node's
 * own port 1003), counted complete when the submitter's copy reaches SUCCEEDED. The baseline is the raw
 * send-message round-trip rate of the same run, one overlay connection per message (a task cycle opens
 * one connection per step, so that is the comparable unit).
 *
 * Each task costs three connections from the receiver to the submitter (two status updates and the
 * results) and one the other way, so the per-source SYN limit of network.md §5.5.1 (10 per second)
 * caps the cycle at a few tasks per second (the directions alternate, which spreads the SYNs over both
 * nodes); the p95 shows the SYNs it delayed by a second.
 *
 * @module
 */

import { dialStream, IpcClient } from "../../lib/ipc/mod.ts";
import { type Address, parseAddress } from "../../lib/protocol/mod.ts";
import { sendMessage } from "../../lib/services/data_exchange/mod.ts";
import { type LocalRequest, parseTaskFile, sendLocalRequest } from "../../lib/services/task_submit/mod.ts";
import { startDaemon, type TestDaemon } from "../../tests/_helpers/daemon.ts";
import { identitySigner, loadIdentity } from "../../lib/crypto/mod.ts";
import { RegistryClient, setPoloScore } from "../../lib/registry/mod.ts";
import { printLine } from "../_out.ts";
import { percentile } from "./_raw_udp.ts";

const TASKS = 20;
const MESSAGES = 50;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** One local request to `daemon`'s own task service. */
async function ask(ipc: IpcClient, self: Address, request: LocalRequest): Promise<Record<string, unknown>> {
  const conn = await dialStream(ipc, self, 1003);
  try {
    return await sendLocalRequest(conn, request);
  } finally {
    conn.close();
    await conn.closed;
  }
}

async function succeeded(daemon: TestDaemon, id: string): Promise<boolean> {
  try {
    return parseTaskFile(await Deno.readFile(`${daemon.pilotHome}/tasks/submitted/${id}.json`)).status ===
      "SUCCEEDED";
  } catch {
    return false; // not written yet
  }
}

/**
 * Full cycles, one after another, alternating the direction so that neither side's score drifts below
 * the other's (the gate would refuse the next task); per-task times and the total until every
 * submitter's copy is SUCCEEDED.
 */
/**
 * Sets a node's own polo score (signed with its identity, as our registry demands), so the score gate
 * measures nothing but the cycle: rewards depend on timings, and alternating alone can still drift.
 */
async function levelScore(daemon: TestDaemon, registry: string): Promise<void> {
  const identity = await loadIdentity(`${daemon.pilotHome}/identity.key`);
  if (identity === undefined) throw new Error("no identity file");
  const signer = identitySigner(identity);
  await using client = await RegistryClient.connect({
    address: registry,
    sign: (challenge) => Promise.resolve(signer.signText(challenge)),
  });
  await setPoloScore(client, daemon.nodeId, 0);
}

async function taskCycles(a: TestDaemon, b: TestDaemon) {
  await using aIpc = await IpcClient.connect(a.socket);
  await using bIpc = await IpcClient.connect(b.socket);
  const sides = [
    { daemon: a, ipc: aIpc, addr: parseAddress(a.address) },
    { daemon: b, ipc: bIpc, addr: parseAddress(b.address) },
  ];
  const samples: number[] = [];
  const tasks: Array<{ id: string; submitter: TestDaemon }> = [];
  const start = performance.now();
  for (let i = 0; i < TASKS; i++) {
    const [s, r] = i % 2 === 0 ? [sides[0], sides[1]] : [sides[1], sides[0]];
    await Promise.all([
      levelScore(a, String(alpha.ready.registry)),
      levelScore(b, String(alpha.ready.registry)),
    ]);
    const begin = performance.now();
    const submitted = await ask(s.ipc, s.addr, {
      op: "submit",
      target: r.daemon.address,
      description: `bench ${i}`,
    });
    if (submitted.accepted !== true) throw new Error(`task ${i} refused: ${submitted.message}`);
    const taskId = String(submitted.task_id);
    tasks.push({ id: taskId, submitter: s.daemon });
    await ask(r.ipc, r.addr, { op: "accept", taskId });
    await ask(r.ipc, r.addr, { op: "execute" });
    await ask(r.ipc, r.addr, { op: "send_results", taskId, text: `result ${i}` });
    samples.push(performance.now() - begin);
  }
  const allDone = async () =>
    (await Promise.all(tasks.map((t) => succeeded(t.submitter, t.id)))).filter(Boolean).length;
  // The last frames may still be on their way; bounded wait for every submitter copy.
  for (let round = 0; round < 500 && await allDone() < TASKS; round++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - start) / 1000;
  const done = await allDone();
  return {
    perSecond: done / seconds,
    done,
    medianMs: percentile(samples, 0.5),
    p95Ms: percentile(samples, 0.95),
  };
}

/** send-message round trips, one connection per message. */
async function messageRate(a: TestDaemon, b: Address) {
  await using ipc = await IpcClient.connect(a.socket);
  const samples: number[] = [];
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    const begin = performance.now();
    const conn = await dialStream(ipc, b, 1001);
    const reply = await sendMessage(conn, { type: "text", data: `bench message ${i}` });
    if (reply.ack === undefined) throw new Error(`message ${i} got no ACK`);
    conn.close();
    await conn.closed;
    samples.push(performance.now() - begin);
  }
  return {
    perSecond: MESSAGES / ((performance.now() - start) / 1000),
    medianMs: percentile(samples, 0.5),
    p95Ms: percentile(samples, 0.95),
  };
}

const alpha = await startDaemon({ flags: ["-public", "-log-level", "info"] });
const beta = await startDaemon({
  registry: String(alpha.ready.registry),
  beacon: String(alpha.ready.beacon),
  flags: ["-public", "-log-level", "info"],
});
try {
  const raw = await messageRate(beta, parseAddress(alpha.address));
  printLine(
    `baseline send-message, 1 connection/message: ${fmt(raw.perSecond)} round trips/s ` +
      `(median ${fmt(raw.medianMs)} ms, p95 ${fmt(raw.p95Ms)} ms)`,
  );
  const r = await taskCycles(beta, alpha);
  printLine(
    `task cycle (submit, accept, execute, send-results): ${fmt(r.perSecond, 2)} tasks/s completed ` +
      `(${r.done}/${TASKS}; per task median ${fmt(r.medianMs)} ms, p95 ${fmt(r.p95Ms)} ms) = ` +
      `${fmt((r.perSecond / raw.perSecond) * 100)}% of the send-message rate`,
  );
} finally {
  await beta.stop();
  await alpha.stop();
}
