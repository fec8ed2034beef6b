import type { HistoryBucket, StoredReading } from './types.js';

/** A point as Chart.js reads it with `parsing: false`: x in epoch milliseconds. */
export interface Point {
  x: number;
  y: number;
}

/**
 * One point of a chart: a reading (min = max = y, n = 1), or a time bucket of readings whose average is y,
 * drawn with a band from min to max so that a spike within it stays visible.
 */
export interface Sample extends Point {
  min: number;
  max: number;
  n: number;
}

export type Metric = 'temperature' | 'humidite' | 'pression' | 'batterie';

export function readingValue(reading: StoredReading, metric: Metric): number | null {
  const value = reading[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Where a point at `x` goes to keep the series in time order: after the points at or before `x`. */
export function insertionIndex(series: readonly Point[], x: number): number {
  let low = 0;
  let high = series.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((series[middle]?.x ?? 0) <= x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** A metric's samples from readings (oldest first) filed at or after `from`. */
export function samplesOfReadings(
  readings: readonly StoredReading[],
  metric: Metric,
  from: number,
): Sample[] {
  const series: Sample[] = [];
  for (const reading of readings) {
    const y = readingValue(reading, metric);
    const x = Date.parse(reading.trusted_at);
    if (y !== null && x >= from) series.push({ x, y, min: y, max: y, n: 1 });
  }
  return series;
}

/** A metric's samples from time buckets (oldest first), each at its start; a bucket without the metric is left out. */
export function samplesOfBuckets(buckets: readonly HistoryBucket[], metric: Metric): Sample[] {
  const series: Sample[] = [];
  for (const bucket of buckets) {
    const stats = bucket[metric];
    if (!stats) continue;
    series.push({ x: Date.parse(bucket.start), y: stats.avg, min: stats.min, max: stats.max, n: bucket.n });
  }
  return series;
}

/**
 * Adds a live reading's value: as a point of its own (`bucketMs` null), or into the bucket its time falls in
 * (a new bucket when there is none yet), updating its min, max and average.
 */
export function addValue(series: Sample[], x: number, y: number, bucketMs: number | null): void {
  if (bucketMs === null) {
    series.splice(insertionIndex(series, x), 0, { x, y, min: y, max: y, n: 1 });
    return;
  }
  const start = Math.floor(x / bucketMs) * bucketMs;
  const at = insertionIndex(series, start);
  const bucket = series[at - 1];
  if (bucket && bucket.x === start) {
    bucket.y = (bucket.y * bucket.n + y) / (bucket.n + 1);
    bucket.n += 1;
    bucket.min = Math.min(bucket.min, y);
    bucket.max = Math.max(bucket.max, y);
    return;
  }
  series.splice(at, 0, { x: start, y, min: y, max: y, n: 1 });
}

/** Drops the samples before `from` (a bucket that reaches past `from` stays). */
export function dropBefore(series: Sample[], from: number, bucketMs: number | null): void {
  const width = bucketMs ?? 0;
  const firstKept = series.findIndex((sample) => sample.x + width > from || sample.x >= from);
  if (firstKept > 0) series.splice(0, firstKept);
  else if (firstKept === -1) series.splice(0, series.length);
}

/** The tooltip line of a point: its value, and for a time bucket of several readings their min and max. */
export function tooltipLabel(
  spec: { label: string; unit: string; digits: number },
  point: Point & Partial<Sample>,
): string {
  const value = `${spec.label}: ${point.y.toFixed(spec.digits)} ${spec.unit}`;
  if (point.n === undefined || point.n < 2 || point.min === undefined || point.max === undefined)
    return value;
  return `${spec.label}: avg ${point.y.toFixed(spec.digits)} ${spec.unit} (min ${point.min.toFixed(spec.digits)}, max ${point.max.toFixed(spec.digits)}; ${point.n} readings)`;
}

/** "10-minute", "2-hour", "5-second": a bucket width in words. */
export function describeWidth(ms: number): string {
  for (const [unit, size] of [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}-${unit}`;
  }
  return `${ms / 1000}-second`;
}
