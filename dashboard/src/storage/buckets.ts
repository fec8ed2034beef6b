import type { BucketStats, HistoryBucket } from '../api-types.js';
import { HOUR_MS, MINUTE_MS, TEN_MINUTES_MS } from './rollup-schema.js';

const SECOND_MS = 1000;
const DAY_MS = 24 * HOUR_MS;

/** Bucket widths a chart uses, each dividing the next ones up to a day; buckets start at multiples of them. */
const WIDTHS = [
  ...[1, 2, 5, 10, 15, 30].map((s) => s * SECOND_MS),
  ...[1, 2, 5, 10, 15, 30].map((m) => m * MINUTE_MS),
  ...[1, 2, 3, 6, 12].map((h) => h * HOUR_MS),
  DAY_MS,
];

/** Buckets of `width` (aligned on multiples of it) that [from, to] touches. */
export const bucketCount = (from: number, to: number, width: number): number =>
  Math.floor(to / width) - Math.floor(from / width) + 1;

/**
 * The narrowest bucket width, at least `least`, whose buckets over [from, to] are at most `limit`: from the
 * list above, then whole days.
 */
export function bucketWidth(from: number, to: number, limit: number, least = SECOND_MS): number {
  for (const width of WIDTHS) {
    if (width >= least && bucketCount(from, to, width) <= limit) return width;
  }
  let days = Math.max(1, Math.ceil((to - from + 1) / DAY_MS / limit));
  while (bucketCount(from, to, days * DAY_MS) > limit) days++;
  return days * DAY_MS;
}

/** Where the buckets of a width are read from: the coarsest source whose unit divides the width. */
export function bucketSource(width: number): 'hour' | 'ten' | 'minute' | 'raw' {
  if (width % HOUR_MS === 0) return 'hour';
  if (width % TEN_MINUTES_MS === 0) return 'ten';
  if (width % MINUTE_MS === 0) return 'minute';
  return 'raw';
}

/** One bucket as both engines read it: count, then min, sum and max of each measure. */
export interface BucketRow {
  start: number;
  n: number;
  temperature_min: number;
  temperature_sum: number;
  temperature_max: number;
  humidite_n: number;
  humidite_min: number | null;
  humidite_sum: number;
  humidite_max: number | null;
  pression_min: number;
  pression_sum: number;
  pression_max: number;
  batterie_min: number;
  batterie_sum: number;
  batterie_max: number;
}

const stats = (min: number, sum: number, max: number, n: number): BucketStats => ({
  min,
  avg: sum / n,
  max,
});

/** A bucket of the chart from its row (SQLite and PostgreSQL read the same columns). */
export const toBucket = (row: BucketRow): HistoryBucket => ({
  start: new Date(row.start).toISOString(),
  n: row.n,
  temperature: stats(row.temperature_min, row.temperature_sum, row.temperature_max, row.n),
  humidite:
    row.humidite_n === 0 || row.humidite_min === null || row.humidite_max === null
      ? null
      : stats(row.humidite_min, row.humidite_sum, row.humidite_max, row.humidite_n),
  pression: stats(row.pression_min, row.pression_sum, row.pression_max, row.n),
  batterie: stats(row.batterie_min, row.batterie_sum, row.batterie_max, row.n),
});
