/** Percentiles and rates: the arithmetic every measurement shares. */

/**
 * The p-th percentile (0 < p <= 100) by nearest rank: the smallest sample that at least p % of the samples
 * do not exceed. Null for no samples. `sorted` must be in ascending order.
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (!(p > 0 && p <= 100))
    throw new RangeError(`percentile received ${p}; accepted: a number above 0 and at most 100.`);
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

export interface Distribution {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** p50, p95, p99 and the maximum of some samples (any order; the array is not changed). */
export function distribution(samples: readonly number[]): Distribution {
  const sorted = Float64Array.from(samples).sort();
  const list = Array.from(sorted);
  return {
    count: list.length,
    p50: percentile(list, 50),
    p95: percentile(list, 95),
    p99: percentile(list, 99),
    max: list.length === 0 ? null : (list[list.length - 1] ?? null),
  };
}

/** Items per second, from a count and a duration in milliseconds; null when no time passed. */
export function perSecond(count: number, elapsedMs: number): number | null {
  return elapsedMs > 0 ? (count * 1000) / elapsedMs : null;
}

/** a / b, null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}
