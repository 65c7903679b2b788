/**
 * The dashboard and metrics HTTP server of control.md §3.15, on `Deno.serve`, off unless an address is
 * configured. Paths and JSON shapes follow the reference; `/api/stats` keeps its declaration-order
 * members (a struct in the reference), so it is written with `JSON.stringify`, not the sorted encoder.
 *
 * @module
 */

import { type Logger, NULL_LOGGER } from "../log.ts";
import { nodeAddress } from "./handler.ts";
import { DURATION_BUCKETS_S, type RegistryMetrics } from "./metrics.ts";
import type { RegistryStore } from "./store.ts";

/** Options of {@linkcode startDashboard}. */
export interface DashboardOptions {
  hostname: string;
  port: number;
  store: RegistryStore;
  metrics: RegistryMetrics;
  /** A node is online while its `last_seen` is younger than this. */
  onlineMs: number;
  now?: () => number;
  logger?: Logger;
}

/** A running dashboard. */
export interface Dashboard extends AsyncDisposable {
  addr: Deno.NetAddr;
  close(): Promise<void>;
}

const BADGES: Record<string, { label: string; color: string }> = {
  nodes: { label: "online nodes", color: "#4c1" },
  trust: { label: "trust links", color: "#58a6ff" },
  requests: { label: "requests", color: "#a855f7" },
  tags: { label: "tags", color: "#f59e0b" },
  "task-executors": { label: "task executors", color: "#4c1" },
};

/** The numbers behind `/api/stats`, the badges and the gauges. */
export async function collectStats(
  store: RegistryStore,
  metrics: RegistryMetrics,
  nowMs: number,
  onlineMs: number,
): Promise<Record<string, unknown>> {
  const nodes = await store.listNodes();
  const pairs = await store.trust.list();
  const alive = new Set(nodes.map((n) => n.node.id));
  const links = new Map<number, number>();
  for (const [a, b] of pairs) {
    links.set(a, (links.get(a) ?? 0) + 1);
    if (a !== b) links.set(b, (links.get(b) ?? 0) + 1);
  }
  const tags = new Set(nodes.flatMap((n) => n.node.tags));
  const online = (lastSeenMs: number) => nowMs - lastSeenMs < onlineMs;
  const onlineCount = nodes.filter((n) => online(n.lastSeenMs)).length;
  const rows = nodes.map((n) => ({
    address: nodeAddress(n.node.id),
    tags: [...n.node.tags],
    online: online(n.lastSeenMs),
    trust_links: links.get(n.node.id) ?? 0,
    task_exec: n.node.taskExec,
    polo_score: n.node.poloScore,
  })).sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
  return {
    total_nodes: nodes.length,
    active_nodes: onlineCount,
    total_trust_links: pairs.length,
    total_requests: metrics.totalRequests,
    unique_tags: tags.size,
    task_executors: nodes.filter((n) => n.node.taskExec).length,
    networks: [{ id: 0, name: "backbone", members: nodes.length, online_members: onlineCount }],
    nodes: rows,
    edges: pairs.filter(([a, b]) => alive.has(a) && alive.has(b)).map(([a, b]) => ({
      source: nodeAddress(a),
      target: nodeAddress(b),
    })),
    uptime_secs: Math.floor((nowMs - metrics.startedMs) / 1000),
  };
}

/** `1234` → `1.2K`, as the badges print counts (§3.15). */
export function abbreviateCount(n: number): string {
  const units: Array<[number, string]> = [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
  for (const [size, suffix] of units) if (n >= size) return `${(n / size).toFixed(1)}${suffix}`;
  return String(n);
}

function escapeHtmlJson(text: string): string {
  return text.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function badgeSvg(label: string, value: string, color: string): string {
  const lw = 6 * label.length + 10;
  const vw = 7 * value.length + 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    lw + vw
  }" height="20" role="img" aria-label="${label}: ${value}">` +
    `<rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${color}"/>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,sans-serif" font-size="11">` +
    `<text x="${lw / 2}" y="14">${label}</text><text x="${lw + vw / 2}" y="14">${value}</text></g></svg>`;
}

/** Prometheus text format 0.0.4 of the families §3.15 lists. */
export function renderMetrics(metrics: RegistryMetrics, stats: Record<string, unknown>): string {
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const label = (type: string) => `{type=${JSON.stringify(type)}}`;
  family("pilot_requests_total", "counter", "Registry requests by message type.");
  for (const [type, n] of metrics.requests) lines.push(`pilot_requests_total${label(type)} ${n}`);
  family("pilot_errors_total", "counter", "Failed registry requests by message type.");
  for (const [type, n] of metrics.errors) lines.push(`pilot_errors_total${label(type)} ${n}`);
  family("pilot_request_duration_seconds", "histogram", "Registry request handling time.");
  for (const [type, h] of metrics.durations) {
    const t = JSON.stringify(type);
    let cumulative = 0;
    DURATION_BUCKETS_S.forEach((bound, i) => {
      cumulative += h.counts[i];
      lines.push(`pilot_request_duration_seconds_bucket{type=${t},le="${bound}"} ${cumulative}`);
    });
    lines.push(`pilot_request_duration_seconds_bucket{type=${t},le="+Inf"} ${h.count}`);
    lines.push(`pilot_request_duration_seconds_sum{type=${t}} ${h.sum}`);
    lines.push(`pilot_request_duration_seconds_count{type=${t}} ${h.count}`);
  }
  const gauge = (name: string, help: string, value: unknown) => {
    family(name, "gauge", help);
    lines.push(`${name} ${typeof value === "number" ? value : 0}`);
  };
  gauge("pilot_nodes_online", "Nodes seen within the online window.", stats.active_nodes);
  gauge("pilot_nodes_total", "Registered nodes.", stats.total_nodes);
  gauge("pilot_trust_links", "Trust pairs.", stats.total_trust_links);
  gauge("pilot_task_executors", "Nodes accepting tasks.", stats.task_executors);
  gauge("pilot_uptime_seconds", "Seconds since the registry started.", stats.uptime_secs);
  const counter = (name: string, help: string, value: number) => {
    family(name, "counter", help);
    lines.push(`${name} ${value}`);
  };
  counter("pilot_registrations_total", "Successful registrations.", metrics.lifecycle.registrations);
  counter("pilot_deregistrations_total", "Deregistrations.", metrics.lifecycle.deregistrations);
  counter("pilot_trust_reports_total", "Trust reports.", metrics.lifecycle.trust_reports);
  counter("pilot_trust_revocations_total", "Trust revocations.", metrics.lifecycle.trust_revocations);
  counter(
    "pilot_handshake_requests_total",
    "Relayed handshake requests.",
    metrics.lifecycle.handshake_requests,
  );
  return lines.join("\n") + "\n";
}

const DASHBOARD_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>Pilot registry</title></head>
<body><h1>Pilot registry</h1><pre id="stats">loading…</pre>
<script>fetch("/api/stats").then((r) => r.json()).then((s) => {
document.getElementById("stats").textContent = JSON.stringify(s, null, 2); });</script></body></html>
`;

function isLoopback(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): boolean {
  const ip = request.headers.get("x-real-ip") ?? info.remoteAddr.hostname;
  return ip === "127.0.0.1" || ip === "::1" || ip === "localhost";
}

/** Starts the dashboard on `hostname:port` (port 0 picks one). */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const now = options.now ?? Date.now;
  const log = options.logger ?? NULL_LOGGER;
  const stats = () => collectStats(options.store, options.metrics, now(), options.onlineMs);
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: (addr) => listening.resolve(addr),
    onError: (err) => {
      log.warn("dashboard request failed", { error: String(err) });
      return new Response("internal error", { status: 500 });
    },
  }, async (request, info) => {
    const path = new URL(request.url).pathname;
    if (path === "/") {
      return new Response(DASHBOARD_HTML, { headers: { "content-type": "text/html; charset=utf-8" } });
    }
    if (path === "/api/stats") {
      return new Response(escapeHtmlJson(JSON.stringify(await stats())) + "\n", {
        headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
      });
    }
    if (path.startsWith("/api/badge/")) {
      const which = path.slice("/api/badge/".length);
      const badge = Object.hasOwn(BADGES, which) ? BADGES[which] : undefined;
      if (badge === undefined) return new Response("404 page not found\n", { status: 404 });
      const s = await stats();
      const count = Number(
        {
          nodes: s.active_nodes,
          trust: s.total_trust_links,
          requests: s.total_requests,
          tags: s.unique_tags,
        }[which] ??
          s.task_executors,
      );
      const color = which === "nodes" && count === 0 ? "#9f9f9f" : badge.color;
      return new Response(badgeSvg(badge.label, abbreviateCount(count), color), {
        headers: {
          "content-type": "image/svg+xml",
          "cache-control": "no-cache, no-store, must-revalidate",
          "access-control-allow-origin": "*",
        },
      });
    }
    if (path === "/metrics") {
      if (!isLoopback(request, info)) return new Response("Forbidden\n", { status: 403 });
      return new Response(renderMetrics(options.metrics, await stats()), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    return new Response("404 page not found\n", { status: 404 });
  });
  const addr = await listening.promise;
  log.info("dashboard listening", { addr: `${addr.hostname}:${addr.port}` });
  const close = async () => {
    await server.shutdown();
  };
  return { addr, close, [Symbol.asyncDispose]: close };
}
