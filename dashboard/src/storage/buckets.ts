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
