/** Median of a list of numbers (mean of the middle two for an even count); NaN for none. */
export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] ?? NaN;
  return sorted.length % 2 ? upper : ((sorted[mid - 1] ?? NaN) + upper) / 2;
}

/** The q-quantile (0..1) of raw samples, nearest-rank. */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Summary of raw latency samples in milliseconds. */
export function latencySummary(samplesMs: number[]): LatencySummary {
  return {
    count: samplesMs.length,
    p50: round(quantile(samplesMs, 0.5), 3),
    p99: round(quantile(samplesMs, 0.99), 3),
    max: round(samplesMs.length ? Math.max(...samplesMs) : NaN, 3),
  };
}

export interface RatioRange {
  median: number;
  min: number;
  max: number;
}

/**
 * Per-round ratio of two variants measured side by side (`runs` as returned by alternate()):
 * `pick(run)` of `a` over `b` in each round; returns the median and the min-max range.
 */
export function ratioRange<Run extends { requestsPerSecond: number }>(
  runs: Record<string, Run[]>,
  a: string,
  b: string,
  pick: (run: Run) => number = (run) => run.requestsPerSecond,
): RatioRange {
  const others = runs[b] ?? [];
  const values = (runs[a] ?? [])
    .map((run, i) => {
      const other = others[i];
      return other === undefined ? NaN : pick(run) / pick(other);
    })
    .filter((v) => Number.isFinite(v));
  return {
    median: round(median(values), 3),
    min: round(values.length ? Math.min(...values) : NaN, 3),
    max: round(values.length ? Math.max(...values) : NaN, 3),
  };
}

/** Median and min-max of per-round figures (values that are not finite are left out). */
export function spread(values: number[]): RatioRange {
  const finite = values.filter((v) => Number.isFinite(v));
  return {
    median: round(median(finite), 3),
    min: round(finite.length ? Math.min(...finite) : NaN, 3),
    max: round(finite.length ? Math.max(...finite) : NaN, 3),
  };
}
