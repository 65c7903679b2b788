/**
 * pilotctl's text layouts rendered from daemon replies: the InfoOK, HandshakeOK and ResolveHostnameOK
 * objects captured from the reference (shared/vectors/ipc.json) and the examples of cli.md, byte for byte.
 * The same commands run end to end once the daemon's IPC handlers land.
 */

import assert from "node:assert/strict";
import { renderFind } from "../cli/commands/discovery.ts";
import { filterPeers, renderInfo, renderPeers } from "../cli/commands/diagnostics.ts";
import { connectionList, renderConnections } from "../cli/commands/management.ts";
import { renderStatus } from "../cli/commands/daemon.ts";
import {
  pendingList,
  renderHandshake,
  renderPending,
  renderTrusted,
  trustedList,
} from "../cli/commands/trust.ts";
import { formatJson } from "../cli/render.ts";
import { capturedJson } from "./_helpers/ipc_captures.ts";

const utc = new Date(0).getTimezoneOffset() === 0;

Deno.test("info: the captured InfoOK renders as §14.1's text", () => {
  assert.equal(
    renderInfo(capturedJson("InfoOK")),
    `Pilot Protocol Daemon
  Node ID:     1
  Address:     0:0000.0000.0001
  Hostname:    agent-a
  Uptime:      00:00:01
  Connections: 0
  Ports:       5
  Peers:       0
  Encryption:  enabled (X25519 + AES-256-GCM), 0/0 peers encrypted, 0 authenticated
  Identity:    persistent (Ed25519 fQQQLJzhNqKAJV5e...)
  Traffic:     0 B sent / 0 B recv
  Packets:     0 sent / 0 recv`,
  );
});

Deno.test("info: --json passes the Info object through with sorted keys", () => {
  const info = capturedJson("InfoOK");
  assert.equal(
    formatJson({ data: info, status: "ok" }),
    '{"data":{"address":"0:0000.0000.0001","authenticated_peers":0,"bytes_recv":0,"bytes_sent":0,"conn_list":[],' +
      '"connections":0,"encrypt":true,"encrypted_peers":0,"hostname":"agent-a","identity":true,"node_id":1,"owner":"",' +
      '"peer_list":[],"peers":0,"pkts_recv":0,"pkts_sent":0,"ports":5,' +
      '"public_key":"fQQQLJzhNqKAJV5erqOznhrS7qPdYq0jg8XGUK50kmA=","uptime_secs":1},"status":"ok"}',
  );
});

Deno.test("info: the §14.1 example with traffic, a connection block and an owner", () => {
  const info = {
    node_id: 1,
    address: "0:0000.0000.0001",
    hostname: "",
    uptime_secs: 283,
    connections: 1,
    ports: 5,
    peers: 1,
    encrypt: false,
    encrypted_peers: 1,
    authenticated_peers: 1,
    identity: false,
    public_key: "short",
    owner: "me@example.com",
    bytes_sent: 278816358,
    bytes_recv: 278606643,
    pkts_sent: 3958285,
    pkts_recv: 3958150,
    conn_list: [
      {
        id: 19,
        local_port: 49170,
        remote_addr: "0:0000.0000.0002",
        remote_port: 1002,
        state: "TIME_WAIT",
        cong_win: 40960,
        in_flight: 0,
        srtt_ms: 40,
        in_recovery: false,
      },
      {
        id: 7,
        local_port: 7,
        remote_addr: "0:0000.0000.0002",
        remote_port: 49152,
        state: "ESTABLISHED",
        cong_win: 1331,
        in_flight: 1280,
        srtt_ms: 3,
        in_recovery: true,
      },
    ],
  };
  assert.equal(
    renderInfo(info),
    `Pilot Protocol Daemon
  Node ID:     1
  Address:     0:0000.0000.0001
  Uptime:      00:04:43
  Connections: 1
  Ports:       5
  Peers:       1
  Encryption:  disabled
  Identity:    ephemeral (not persisted)
  Owner:       me@example.com
  Traffic:     265.9 MB sent / 265.7 MB recv
  Packets:     3958285 sent / 3958150 recv

Active connections: 2
  ID    LOCAL   REMOTE ADDR             RPORT   STATE        CWND      FLIGHT    SRTT  
  19    49170   0:0000.0000.0002        1002    TIME_WAIT    40.0 KB   0 B       40ms
  7     7       0:0000.0000.0002        49152   ESTABLISHED  1.3 KB    1.2 KB    3ms [RECOVERY]`,
  );
});

Deno.test("info: a reply that is not an object still renders zero values instead of crashing", () => {
  assert.ok(renderInfo("garbage").startsWith("Pilot Protocol Daemon\n  Node ID:     0\n"));
  assert.ok(renderInfo({ node_id: "1", conn_list: "x", peer_list: [null, 3] }).includes("Node ID:     0"));
  assert.deepEqual(filterPeers({ peer_list: [null, 3] }, "x"), []);
});

Deno.test("connections: the §13.1 example rows, stats lines and the empty text", () => {
  const conn = {
    bytes_recv: 0,
    bytes_sent: 10,
    cong_win: 40960,
    dup_acks: 0,
    fast_retx: 0,
    id: 48,
    in_flight: 0,
    in_recovery: false,
    local_port: 49197,
    ooo_buf: 0,
    peer_recv_win: 2097152,
    recv_win: 2097152,
    remote_addr: "0:0000.0000.0002",
    remote_port: 1002,
    retransmits: 0,
    rttvar_ms: 0,
    sack_recv: 0,
    sack_sent: 0,
    segs_recv: 0,
    segs_sent: 1,
    srtt_ms: 94,
    ssthresh: 524288,
    state: "ESTABLISHED",
    unacked: 0,
  };
  const second = {
    ...conn,
    id: 9,
    local_port: 49160,
    remote_port: 7,
    state: "TIME_WAIT",
    cong_win: 299520,
    srtt_ms: 3,
    bytes_sent: 524288,
    segs_sent: 128,
    bytes_recv: 524288,
    segs_recv: 128,
    retransmits: 19,
    sack_sent: 32,
    sack_recv: 70,
  };
  const text = renderConnections(connectionList({ conn_list: [conn, second] }));
  assert.equal(
    text,
    [
      "Active connections: 2",
      "",
      "ID    LOCAL   REMOTE ADDR             RPORT   STATE        CWND      FLIGHT    SRTT      UNACK   OOO     PEERWIN   RCVWIN  ",
      "48    49197   0:0000.0000.0002        1002    ESTABLISHED  40.0 KB   0 B       94    ms  0       0       2.0 MB    2.0 MB  ",
      "      tx: 10 B (1 segs)  rx: 0 B (0 segs)  retx: 0  fast-retx: 0  sack: 0/0  dup-ack: 0",
      "9     49160   0:0000.0000.0002        7       TIME_WAIT    292.5 KB  0 B       3     ms  0       0       2.0 MB    2.0 MB  ",
      "      tx: 512.0 KB (128 segs)  rx: 512.0 KB (128 segs)  retx: 19  fast-retx: 0  sack: 32/70  dup-ack: 0",
    ].join("\n"),
  );
  assert.equal(
    renderConnections(connectionList({})),
    'no active connections\n  connect to a peer: pilotctl connect <address|hostname> --message "hello"',
  );
  const many = renderConnections(Array.from({ length: 53 }, (_, i) => ({ ...conn, id: i })));
  assert.ok(many.endsWith("\n\n... and 3 more connections (showing first 50)"));
  assert.equal(many.split("\n").filter((l) => l.startsWith("      tx:")).length, 50);
});

Deno.test("peers: filter by node ID or endpoint, null when nothing is listed (§14.2)", () => {
  const info = {
    peer_list: [
      { authenticated: true, encrypted: true, endpoint: "127.0.0.1:42912", node_id: 2 },
      { authenticated: false, encrypted: false, endpoint: "[::1]:9", node_id: 31 },
    ],
  };
  assert.equal(
    renderPeers(filterPeers(info, ""), ""),
    "NODE ID     ENDPOINT                        ENCRYPTED             AUTH\n" +
      "2           127.0.0.1:42912                 yes (AES-256-GCM)     yes (Ed25519)\n" +
      "31          [::1]:9                         no                    no",
  );
  assert.equal(filterPeers(info, "42912").length, 1);
  assert.equal(filterPeers(info, "3").length, 1); // "31" contains "3"; the endpoint 127.0.0.1 does not
  assert.equal(filterPeers(info, "::1").length, 1);
  assert.equal(renderPeers(filterPeers(info, "zzz"), "zzz"), 'no peers matching "zzz"');
  assert.equal(
    renderPeers([], ""),
    "no peers connected\n  peers appear when you communicate with other nodes",
  );
});

Deno.test("trust: the captured pending and trusted replies render as §12.5/§12.6 tables", () => {
  const pending = pendingList(capturedJson("HandshakeOK", 4));
  assert.equal(pending.length, 1);
  const trustedA = trustedList(capturedJson("HandshakeOK", 0));
  const trustedB = trustedList(capturedJson("HandshakeOK", 6));
  const pendingText = renderPending(pending);
  assert.match(
    pendingText,
    /^NODE ID {5}JUSTIFICATION {29}RECEIVED\n1 {11}direct hello {30}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
  );
  const trustText = renderTrusted([...trustedA, ...trustedB]);
  assert.match(
    trustText,
    /^NODE ID {5}MUTUAL {6}NETWORK {5}APPROVED AT\n2 {11}yes {9}- {11}\S+ \S+\n1 {11}no {10}- {11}\S+ \S+$/,
  );
  if (utc) {
    assert.equal(
      renderTrusted([{ approved_at: 1795545037, mutual: false, network: 0, node_id: 1 }]),
      "NODE ID     MUTUAL      NETWORK     APPROVED AT\n1           no          -           2026-11-24 18:30:37",
    );
    assert.equal(
      renderPending([{
        justification: "want to collaborate",
        node_id: 1,
        public_key: "",
        received_at: 1795544947,
      }]),
      "NODE ID     JUSTIFICATION                             RECEIVED\n" +
        "1           want to collaborate                       2026-11-24 18:29:07",
    );
  }
  assert.match(renderTrusted([{ network: 7, node_id: 3 }]), /\n3 {11}no {10}7 {10}/);
  assert.equal(
    renderPending(pendingList({})),
    "no pending handshake requests\n  requests appear here when another node sends: pilotctl handshake <your-node-id>",
  );
  assert.equal(
    renderTrusted(trustedList({ trusted: [] })),
    'no trusted peers\n  establish trust: pilotctl handshake <node_id|hostname> "reason"',
  );
});

Deno.test("handshake: the sent and the (unreachable) already-trusted texts (§12.1)", () => {
  const reply = capturedJson("HandshakeOK", 1);
  assert.deepEqual(reply, { node_id: 2, status: "sent" });
  assert.equal(
    renderHandshake("sent", 2),
    "handshake request sent to node 2\n" +
      "  next: node 2 must approve — or send a handshake back for auto-approval\n" +
      "  check: pilotctl trust",
  );
  assert.equal(renderHandshake("already_trusted", 2), "already trusted with node 2 — ready to communicate");
});

Deno.test("find: the captured ResolveHostnameOK renders as §9.1's text", () => {
  assert.deepEqual(capturedJson("ResolveHostnameOK"), {
    address: "0:0000.0000.0002",
    hostname: "agent-b",
    node_id: 2,
    public: false,
    type: "resolve_hostname_ok",
  });
  assert.equal(
    renderFind({ hostname: "agent-b", node_id: 2, address: "0:0000.0000.0002", public: false }),
    "Hostname:  agent-b\nNode ID:   2\nAddress:   0:0000.0000.0002\nVisible:   private",
  );
});

Deno.test("daemon status: the §7.3 text, and the PID-less quirk header", () => {
  const status = {
    address: "0:0000.0000.0001",
    connections: 0,
    hostname: "alpha",
    node_id: 1,
    peers: 0,
    pid: 7505,
    pid_file: "/home/demo/homeA/.pilot/pilot.pid",
    responsive: true,
    running: true,
    socket: "/home/demo/a.sock",
    uptime_secs: 6,
  };
  assert.equal(
    renderStatus(status, true),
    `Daemon: running (pid 7505)
  Node ID:     1
  Address:     0:0000.0000.0001
  Hostname:    alpha
  Uptime:      00:00:06
  Peers:       0
  Connections: 0`,
  );
  assert.equal(
    formatJson({ data: status, status: "ok" }),
    '{"data":{"address":"0:0000.0000.0001","connections":0,"hostname":"alpha","node_id":1,"peers":0,"pid":7505,' +
      '"pid_file":"/home/demo/homeA/.pilot/pilot.pid","responsive":true,"running":true,"socket":"/home/demo/a.sock",' +
      '"uptime_secs":6},"status":"ok"}',
  );
  assert.match(
    renderStatus({ ...status, pid: 0, hostname: "" }, false),
    /^Daemon: stopped \(pid 0\)\n {2}Node ID: {5}1\n {2}Address/,
  );
});
