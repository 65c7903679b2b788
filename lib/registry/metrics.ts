/**
 * Counters of one registry process for the dashboard and `/metrics` (control.md §3.15): requests and
 * errors per raw `type`, a latency histogram per type, and lifecycle counters. Process-local by nature.
 *
 * @module
 */

/** Histogram bucket bounds in seconds (§3.15). */
export const DURATION_BUCKETS_S: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
];

/** Distinct `type` labels kept before further types count as `other`. */
export const MAX_TYPE_LABELS = 64;

/** One histogram: cumulative bucket counts are derived when rendered. */
export interface DurationHistogram {
  counts: number[];
  sum: number;
  count: number;
}

/** Named counters of §3.15. */
export type LifecycleCounter =
  | "registrations"
  | "deregistrations"
  | "trust_reports"
  | "trust_revocations"
  | "handshake_requests";

/** The registry's process counters. */
export class RegistryMetrics {
  readonly startedMs: number;
  totalRequests = 0;
  readonly requests = new Map<string, number>();
  readonly errors = new Map<string, number>();
  readonly durations = new Map<string, DurationHistogram>();
  readonly lifecycle: Record<LifecycleCounter, number> = {
    registrations: 0,
    deregistrations: 0,
    trust_reports: 0,
    trust_revocations: 0,
    handshake_requests: 0,
  };

  constructor(startedMs: number) {
    this.startedMs = startedMs;
  }

  /**
   * Records one handled request of raw type `type` (`""` when missing). Labels are the raw type as in the
   * reference, but at most {@linkcode MAX_TYPE_LABELS} distinct ones of at most 64 characters: past that,
   * `other`, so junk types sent by a client cannot grow our memory without bound.
   */
  observe(rawType: string, seconds: number, failed: boolean): void {
    const type = rawType.length <= 64 && (this.requests.has(rawType) || this.requests.size < MAX_TYPE_LABELS)
      ? rawType
      : "other";
    this.totalRequests++;
    this.requests.set(type, (this.requests.get(type) ?? 0) + 1);
    if (failed) this.errors.set(type, (this.errors.get(type) ?? 0) + 1);
    let histogram = this.durations.get(type);
    if (histogram === undefined) {
      histogram = { counts: DURATION_BUCKETS_S.map(() => 0), sum: 0, count: 0 };
      this.durations.set(type, histogram);
    }
    const index = DURATION_BUCKETS_S.findIndex((bound) => seconds <= bound);
    if (index !== -1) histogram.counts[index]++;
    histogram.sum += seconds;
    histogram.count++;
  }

  /** Adds one to a lifecycle counter. */
  count(counter: LifecycleCounter): void {
    this.lifecycle[counter]++;
  }
}
