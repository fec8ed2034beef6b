import type { Point } from './chart-series.js';

/** Gaps of at least this long always break a line, whatever the range. */
const MIN_GAP_MS = 60_000;
/** A gap this many times a series' usual spacing is a silence (a device in economy reads every 4 × interval). */
const SPACING_FACTOR = 3;

/** The median time between consecutive points of a time-ordered series; 0 below two points. */
function usualSpacing(series: readonly Point[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < series.length; i++) gaps.push((series[i]?.x ?? 0) - (series[i - 1]?.x ?? 0));
  if (gaps.length === 0) return 0;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

/**
 * How long a gap between two readings (or time buckets) must be for the line to break there (a device
 * silent for a while): a minute, a 120th of the range shown, three times the series' usual spacing, or
 * with buckets two bucket widths (one empty bucket between two is no silence), whichever is longest.
 */
export function gapLimit(series: readonly Point[], rangeMs: number, bucketMs: number | null = null): number {
  return Math.max(MIN_GAP_MS, rangeMs / 120, SPACING_FACTOR * usualSpacing(series), 2 * (bucketMs ?? 0));
}

/** The points with no neighbour within `maxGap`: no line reaches them, so they are drawn as dots. */
export function lonePoints(series: readonly Point[], maxGap: number): Point[] {
  return series.filter((point, i) => {
    const before = series[i - 1];
    const after = series[i + 1];
    return (!before || point.x - before.x > maxGap) && (!after || after.x - point.x > maxGap);
  });
}
