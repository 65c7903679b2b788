/**
 * The static description `pilotctl context` prints (cli.md §6.3, Appendix B), meant for AI agents.
 * As in the reference it omits the `task` commands and lists 7 of the error codes (§20 item 21).
 *
 * @module
 */

/** One command of the description. */
export interface ContextCommand {
  args: string[];
  description: string;
  returns: string;
}

/** The `commands` member, keyed by command (two words for `daemon`/`gateway` subcommands). */
export const CONTEXT_COMMANDS: Record<string, ContextCommand> = {
  "approve": {
    args: ["<node_id>"],
    description: "Approve a pending handshake request",
    returns: "status, node_id",
  },
  "bench": {
    args: ["<address|hostname>", "[size_mb]", "[--timeout <dur>]"],
    description: "Throughput benchmark via echo port (default 1 MB)",
    returns: "target, sent_bytes, recv_bytes, send_duration_ms, total_duration_ms, send_mbps, total_mbps",
  },
  "broadcast": {
    args: ["<network_id>", "<message>"],
    description: "Broadcast a message to all network members",
    returns: "network_id, message",
  },
  "clear-hostname": {
    args: [],
    description: "Clear hostname for this daemon's node",
    returns: "hostname, node_id",
  },
  "clear-tags": {
    args: [],
    description: "Clear all tags for this daemon's node",
    returns: "node_id, tags",
  },
  "clear-webhook": {
    args: [],
    description: "Clear the webhook URL (applies immediately if daemon is running)",
    returns: "webhook, applied",
  },
  "config": {
    args: ["[--set key=value]"],
    description: "Show or set configuration values",
    returns: "current configuration as JSON",
  },
  "connect": {
    args: ["<address|hostname>", "[port]", "[--message <msg>]", "[--timeout <dur>]"],
    description: "Open a stream connection. Use --message to send a single message and get a response",
    returns: "target, port, sent, response (with --message), or interactive stdio session",
  },
  "connections": {
    args: [],
    description: "List active connections",
    returns: "connections [{id, local_port, remote_addr, remote_port, state, ...}], total",
  },
  "daemon start": {
    args: [
      "[--config <path>]",
      "[--registry <addr>]",
      "[--beacon <addr>]",
      "[--listen <addr>]",
      "[--identity <path>]",
      "[--owner <owner>]",
      "[--hostname <name>]",
      "[--log-level <level>]",
      "[--log-format <fmt>]",
      "[--public]",
      "[--foreground]",
      "[--no-encrypt]",
      "[--socket <path>]",
      "[--webhook <url>]",
    ],
    description:
      "Start the daemon as a background process. Blocks until registered, then prints status and exits",
    returns: "node_id, address, pid, socket, hostname, log_file",
  },
  "daemon status": {
    args: ["[--check]"],
    description:
      "Check if daemon is running and responsive. --check: silent, exits 0 if responsive, 1 otherwise",
    returns:
      "running (bool), responsive (bool), pid, pid_file, socket, node_id, address, hostname, uptime_secs, peers, connections",
  },
  "daemon stop": {
    args: [],
    description: "Stop the running daemon",
    returns: "pid, forced (bool)",
  },
  "deregister": {
    args: [],
    description: "Deregister this node from the registry (routes through daemon)",
    returns: "status",
  },
  "disable-tasks": {
    args: [],
    description: "Stop advertising task execution capability",
    returns: "node_id, task_exec",
  },
  "disconnect": {
    args: ["<conn_id>"],
    description: "Close a connection by ID",
    returns: "conn_id",
  },
  "enable-tasks": {
    args: [],
    description: "Advertise that this node can execute tasks",
    returns: "node_id, task_exec",
  },
  "find": {
    args: ["<hostname>"],
    description: "Discover a node by hostname",
    returns: "hostname, node_id, address, public",
  },
  "gateway list": {
    args: [],
    description: "List all current gateway mappings",
    returns: "mappings [{local_ip, pilot_addr}], total",
  },
  "gateway map": {
    args: ["<pilot-addr>", "[local-ip]"],
    description: "Add a mapping to the running gateway",
    returns: "local_ip, pilot_addr",
  },
  "gateway start": {
    args: ["[--subnet <cidr>]", "[--ports <list>]", "[<pilot-addr>...]"],
    description: "Start the IP gateway (bridges TCP to Pilot Protocol)",
    returns: "pid, subnet, mappings [{local_ip, pilot_addr}]",
  },
  "gateway stop": {
    args: [],
    description: "Stop the running gateway",
    returns: "pid",
  },
  "gateway unmap": {
    args: ["<local-ip>"],
    description: "Remove a mapping and clean up loopback alias",
    returns: "unmapped",
  },
  "handshake": {
    args: ["<node_id|hostname>", "[justification]"],
    description: "Send a trust handshake request to a remote node",
    returns: "status, node_id",
  },
  "inbox": {
    args: ["[--clear]"],
    description:
      "List messages received via data exchange (port 1001). Messages saved to ~/.pilot/inbox/. Use --clear to delete all",
    returns: "messages [{type, from, data, received_at}], total, dir",
  },
  "info": {
    args: [],
    description:
      "Show daemon status: node_id, address, hostname, uptime, peers, connections, encryption, identity",
    returns:
      "node_id, address, hostname, uptime_secs, connections, ports, peers, encrypt, bytes_sent, bytes_recv, conn_list, peer_list",
  },
  "init": {
    args: ["--registry <addr>", "--beacon <addr>", "--hostname <name>", "[--socket <path>]"],
    description: "Initialize pilot configuration (writes ~/.pilot/config.json)",
    returns: "config_path, registry, beacon, socket, hostname",
  },
  "listen": {
    args: ["<port>", "[--count <n>]", "[--timeout <dur>]"],
    description:
      "Listen for incoming datagrams. Default: infinite (NDJSON streaming). Use --count/--timeout to bound",
    returns: "messages [{src_addr, src_port, data, bytes}], timeout (bool). Unbounded: NDJSON per line",
  },
  "lookup": {
    args: ["<node_id>"],
    description: "Look up a node by ID",
    returns: "node_id, address, real_addr, public, hostname",
  },
  "peers": {
    args: ["[--search <query>]"],
    description: "List connected peers with optional search filter",
    returns: "peers [{node_id, endpoint, encrypted, authenticated}], total",
  },
  "pending": {
    args: [],
    description: "List pending handshake requests",
    returns: "pending [{node_id, justification, received_at}]",
  },
  "ping": {
    args: ["<address|hostname>", "[--count <n>]", "[--timeout <dur>]"],
    description: "Ping a node via echo port. Default 4 pings",
    returns: "target, results [{seq, bytes, rtt_ms, error}], timeout (bool)",
  },
  "publish": {
    args: ["<address|hostname>", "<topic>", "--data <message>"],
    description: "Publish an event to a topic on the target's event stream broker (port 1002)",
    returns: "target, topic, bytes",
  },
  "received": {
    args: ["[--clear]"],
    description:
      "List files received via data exchange (port 1001). Files saved to ~/.pilot/received/. Use --clear to delete all",
    returns: "files [{name, bytes, modified, path}], total, dir",
  },
  "recv": {
    args: ["<port>", "[--count <n>]", "[--timeout <dur>]"],
    description: "Accept incoming connections, receive messages",
    returns: "messages [{seq, port, data, bytes}], timeout (bool)",
  },
  "register": {
    args: ["[listen_addr]"],
    description: "Register a new node with the registry",
    returns: "node_id, address, public_key",
  },
  "reject": {
    args: ["<node_id>", "[reason]"],
    description: "Reject a pending handshake request",
    returns: "status, node_id",
  },
  "rotate-key": {
    args: ["<node_id>", "<owner>"],
    description: "Rotate keypair via owner recovery",
    returns: "node_id, new public_key",
  },
  "send": {
    args: ["<address|hostname>", "<port>", "--data <msg>", "[--timeout <dur>]"],
    description: "Send a single message to a port and read the response",
    returns: "target, port, sent, response",
  },
  "send-file": {
    args: ["<address|hostname>", "<filepath>"],
    description: "Send a file to a node on port 1001 (data exchange)",
    returns: "filename, bytes, destination, ack",
  },
  "send-message": {
    args: ["<address|hostname>", "--data <text>", "[--type text|json|binary]"],
    description: "Send a typed message via data exchange (port 1001). Default type: text",
    returns: "target, type, bytes, ack",
  },
  "set-hostname": {
    args: ["<hostname>"],
    description: "Set hostname for this daemon's node",
    returns: "hostname, node_id",
  },
  "set-private": {
    args: [],
    description: "Hide this node's endpoint (private, default; routes through daemon)",
    returns: "status",
  },
  "set-public": {
    args: [],
    description: "Make this node's endpoint publicly visible (routes through daemon)",
    returns: "status",
  },
  "set-tags": {
    args: ["<tag1>", "[tag2]", "..."],
    description: "Set capability tags for this daemon's node (replaces existing tags)",
    returns: "node_id, tags",
  },
  "set-webhook": {
    args: ["<url>"],
    description: "Set the webhook URL for event notifications (applies immediately if daemon is running)",
    returns: "webhook, applied",
  },
  "subscribe": {
    args: ["<address|hostname>", "<topic>", "[--count <n>]", "[--timeout <dur>]"],
    description:
      "Subscribe to event stream topics (port 1002). Use * for all topics. Without --count: streams NDJSON",
    returns: "events [{topic, data, bytes}], timeout (bool). Unbounded: NDJSON per line",
  },
  "traceroute": {
    args: ["<address>", "[--timeout <dur>]"],
    description: "Trace path to a node (connection setup + RTT samples)",
    returns: "target, setup_ms, rtt_samples [{rtt_ms, bytes}]",
  },
  "trust": {
    args: [],
    description: "List trusted peers",
    returns: "trusted [{node_id, mutual, network, approved_at}]",
  },
  "untrust": {
    args: ["<node_id>"],
    description: "Revoke trust for a peer",
    returns: "node_id",
  },
};

/** The whole object of `pilotctl context`. */
export function contextDocument(): Record<string, unknown> {
  return {
    commands: CONTEXT_COMMANDS,
    config_file: "~/.pilot/config.json",
    environment: {
      PILOT_REGISTRY: "Registry address (default: 34.71.57.205:9000)",
      PILOT_SOCKET: "Daemon socket path (default: /tmp/pilot.sock)",
    },
    error_codes: {
      already_exists: "Duplicate operation (daemon/gateway already running)",
      connection_failed: "Network or dial failure (may retry)",
      internal: "Unexpected system error",
      invalid_argument: "Bad input or usage error (do not retry)",
      not_found: "Resource not found (hostname/name resolve failure)",
      not_running: "Service not available (daemon/gateway not running)",
      timeout: "Operation timed out (may retry with longer timeout)",
    },
    global_flags: {
      "--json":
        "Output structured JSON for all commands. Success: {status:ok, data:{...}}. Error: {status:error, code:string, message:string}",
    },
    version: "1.2",
  };
}
