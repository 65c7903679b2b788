import assert from "node:assert/strict";
import { IPC_COMMANDS } from "./constants.ts";
import { type PendingRequest, ReplyMatcher } from "./reply_matcher.ts";

function request(replyCode: number, connId?: number): PendingRequest {
  return { replyCode, connId, abandoned: false, resolve: () => {}, reject: () => {} };
}

Deno.test("reply matcher: a reply takes the oldest request waiting for its code", () => {
  const m = new ReplyMatcher();
  const bind = request(IPC_COMMANDS.BIND_OK);
  const info = request(IPC_COMMANDS.INFO_OK);
  m.addRequest(bind);
  m.addRequest(info);
  assert.equal(m.takeReply(IPC_COMMANDS.INFO_OK), info);
  assert.equal(m.takeReply(IPC_COMMANDS.INFO_OK), undefined);
  assert.equal(m.takeReply(IPC_COMMANDS.BIND_OK), bind);
  assert.equal(m.pendingRequests, 0);
});

Deno.test("reply matcher: CloseOK answers only the Close of the same conn id; others are pushes", () => {
  const m = new ReplyMatcher();
  const close = request(IPC_COMMANDS.CLOSE_OK, 2);
  m.addRequest(close);
  assert.equal(m.takeReply(IPC_COMMANDS.CLOSE_OK, 3), undefined);
  assert.equal(m.takeReply(IPC_COMMANDS.CLOSE_OK, 2), close);
});

Deno.test("reply matcher: an Error goes to the oldest request when no send is queued", () => {
  const m = new ReplyMatcher();
  const dial = request(IPC_COMMANDS.DIAL_OK);
  m.addRequest(dial);
  assert.deepEqual(m.takeError("connection refused"), { to: "request", request: dial });
  assert.deepEqual(m.takeError("connection refused"), { to: "nobody" });
});

Deno.test("reply matcher: a send's error is told apart from the next request's by its text", () => {
  const m = new ReplyMatcher();
  m.addSend("send", 777);
  const dial = request(IPC_COMMANDS.DIAL_OK);
  m.addRequest(dial);
  assert.deepEqual(m.takeError("connection 777 not found"), { to: "send", kind: "send", connId: 777 });
  assert.equal(m.takeReply(IPC_COMMANDS.DIAL_OK), dial);

  m.addSend("send", 5);
  m.addSend("send_to", 0);
  const info = request(IPC_COMMANDS.INFO_OK);
  m.addRequest(info);
  // The send on 5 succeeded (its error would have come first); this error is the request's.
  assert.deepEqual(m.takeError("info: broken"), { to: "request", request: info });

  m.addSend("send", 5);
  m.addSend("send_to", 0);
  assert.deepEqual(m.takeError("sendto: resolve node 9: registry: request failed"), {
    to: "send",
    kind: "send_to",
    connId: 0,
  });
  assert.deepEqual(m.takeError("send: connection closed"), { to: "nobody" });
});

Deno.test("reply matcher: a reply settles the sends queued before its request", () => {
  const m = new ReplyMatcher();
  m.addSend("send", 1);
  m.addSend("send", 1);
  const info = request(IPC_COMMANDS.INFO_OK);
  m.addRequest(info);
  m.addSend("send", 1);
  assert.equal(m.takeReply(IPC_COMMANDS.INFO_OK), info);
  assert.deepEqual(m.takeError("send: connection closed"), { to: "send", kind: "send", connId: 1 });
  assert.deepEqual(m.takeError("send: connection closed"), { to: "nobody" });
});

Deno.test("reply matcher: send bookkeeping stays bounded under a flood of sends", () => {
  const m = new ReplyMatcher();
  for (let i = 0; i < 100_000; i++) m.addSend("send", i);
  const info = request(IPC_COMMANDS.INFO_OK);
  m.addRequest(info);
  assert.equal(m.takeReply(IPC_COMMANDS.INFO_OK), info);
  assert.deepEqual(m.drain(), []);
});
