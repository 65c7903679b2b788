/**
 * Summarises a V8 CPU profile (`deno run --cpu-prof --cpu-prof-dir=DIR …`, or a benchmark's
 * `--child-prof=DIR`): the functions with the most self time, and with `--inclusive` the most time
 * including callees, each as ms and share of the profile. Used to say where a benchmark's time goes.
 *
 * Usage: `deno run --allow-read scripts/cpu_profile_top.ts PROFILE.cpuprofile [--top=N] [--inclusive]`
 *
 * @module
 */

import { printLine } from "./_out.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.split("/").slice(-2).join("/");
  return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
}

/** Microseconds per function name: self time, or inclusive time (each function once per stack). */
export function timePerFunction(profile: CpuProfile, inclusive: boolean): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfById = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    selfById.set(id, (selfById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  );
  const totals = new Map<string, number>();
  for (const [id, micros] of selfById) {
    const seen = new Set<string>();
    // Bounded by the depth of the call tree: each step moves to a parent.
    for (let at: number | undefined = id; at !== undefined; at = inclusive ? parentOf.get(at) : undefined) {
      const node = byId.get(at);
      if (node === undefined) break;
      const name = frameName(node);
      if (seen.has(name)) continue;
      seen.add(name);
      totals.set(name, (totals.get(name) ?? 0) + micros);
    }
  }
  return totals;
}

if (import.meta.main) {
  const file = Deno.args.find((arg) => !arg.startsWith("--"));
  if (file === undefined) {
    printLine("usage: cpu_profile_top.ts PROFILE.cpuprofile [--top=N] [--inclusive]");
    Deno.exit(2);
  }
  const top = Number(Deno.args.find((arg) => arg.startsWith("--top="))?.slice(6) ?? 30);
  const inclusive = Deno.args.includes("--inclusive");
  const profile: CpuProfile = JSON.parse(await Deno.readTextFile(file));
  const totals = timePerFunction(profile, inclusive);
  const all = profile.timeDeltas.reduce((sum, d) => sum + d, 0);
  for (const [name, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const ms = (micros / 1000).toFixed(0).padStart(6);
    printLine(`${ms} ms ${(100 * micros / all).toFixed(1).padStart(5)}%  ${name}`);
  }
  printLine(`total ${(all / 1000).toFixed(0)} ms`);
}
