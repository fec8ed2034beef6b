import { describe, expect, it } from 'vitest';
import {
  addValue,
  describeWidth,
  dropBefore,
  type Sample,
  samplesOfBuckets,
  samplesOfReadings,
  tooltipLabel,
} from '../web/chart-series.js';
import { gapLimit } from '../web/series-gaps.js';
import type { HistoryBucket, StoredReading } from '../web/types.js';

const MIN = 60_000;
const stats = (min: number, avg: number, max: number) => ({ min, avg, max });
const bucket = (start: string, n: number, temperature: number, humidite: number | null): HistoryBucket => ({
  start,
  n,
  temperature: stats(temperature - 1, temperature, temperature + 1),
  humidite: humidite === null ? null : stats(humidite, humidite, humidite),
  pression: stats(1013, 1013, 1013),
  batterie: stats(88, 88, 88),
});

describe("the page's chart series", () => {
  it('draws buckets at their start with their min, avg and max, leaving out a measurement a bucket lacks', () => {
    const buckets = [
      bucket('2025-03-01T10:00:00Z', 60, 21, 40),
      bucket('2025-03-01T10:10:00Z', 30, 22, null),
    ];
    expect(samplesOfBuckets(buckets, 'temperature')).toEqual([
      { x: Date.parse('2025-03-01T10:00:00Z'), y: 21, min: 20, max: 22, n: 60 },
      { x: Date.parse('2025-03-01T10:10:00Z'), y: 22, min: 21, max: 23, n: 30 },
    ]);
    expect(samplesOfBuckets(buckets, 'humidite').map((s) => s.n)).toEqual([60]);
  });

  it('adds a live reading into its bucket: a spike raises the max and the average by its share', () => {
    const series: Sample[] = [{ x: 0, y: 20, min: 19, max: 21, n: 9 }];
    addValue(series, 5 * MIN, 80, 10 * MIN);
    expect(series).toEqual([{ x: 0, y: (20 * 9 + 80) / 10, min: 19, max: 80, n: 10 }]);
    // The next bucket starts a new point, at its start; a reading late by one bucket goes back into its own.
    addValue(series, 12 * MIN, 25, 10 * MIN);
    addValue(series, 9 * MIN, 0, 10 * MIN);
    expect(series.map((s) => [s.x, s.n, s.min, s.max])).toEqual([
      [0, 11, 0, 80],
      [10 * MIN, 1, 25, 25],
    ]);
    // Readings (no buckets): a point each, in time order.
    const readings: Sample[] = [];
    addValue(readings, 2000, 1, null);
    addValue(readings, 1000, 2, null);
    expect(readings.map((s) => s.x)).toEqual([1000, 2000]);
  });

  it('keeps a bucket that reaches past the window start, drops those wholly before it', () => {
    const series: Sample[] = [0, 10, 20].map((m) => ({ x: m * MIN, y: 1, min: 1, max: 1, n: 1 }));
    dropBefore(series, 15 * MIN, 10 * MIN);
    expect(series.map((s) => s.x)).toEqual([10 * MIN, 20 * MIN]);
    dropBefore(series, 15 * MIN, null);
    expect(series.map((s) => s.x)).toEqual([20 * MIN]);
    dropBefore(series, 40 * MIN, 10 * MIN);
    expect(series).toEqual([]);
  });

  it('takes readings filed from the window start, with their value as min and max', () => {
    const reading = (at: string, temperature: number) =>
      ({ trusted_at: at, temperature, humidite: null }) as unknown as StoredReading;
    const series = samplesOfReadings(
      [reading('2025-03-01T09:59:59Z', 1), reading('2025-03-01T10:00:00Z', 2)],
      'temperature',
      Date.parse('2025-03-01T10:00:00Z'),
    );
    expect(series).toEqual([{ x: Date.parse('2025-03-01T10:00:00Z'), y: 2, min: 2, max: 2, n: 1 }]);
    expect(samplesOfReadings([reading('2025-03-01T10:00:00Z', 2)], 'humidite', 0)).toEqual([]);
  });

  it('says min and max in the tooltip of a bucket of several readings, the value alone otherwise', () => {
    const temperature = { label: 'Temperature', unit: '°C', digits: 1 };
    expect(tooltipLabel(temperature, { x: 0, y: 21.25, min: 20, max: 80, n: 600 })).toBe(
      'Temperature: avg 21.3 °C (min 20.0, max 80.0; 600 readings)',
    );
    expect(tooltipLabel(temperature, { x: 0, y: 21.25, min: 21.25, max: 21.25, n: 1 })).toBe(
      'Temperature: 21.3 °C',
    );
    expect(tooltipLabel(temperature, { x: 0, y: 21.25 })).toBe('Temperature: 21.3 °C');
  });

  it('breaks a bucketed line only where more than one bucket is missing, and names bucket widths', () => {
    const every10 = [0, 10, 20, 30].map((m) => ({ x: m * MIN, y: 1 }));
    expect(gapLimit(every10, 7 * 24 * 60 * MIN, 10 * MIN)).toBe(84 * MIN);
    expect(gapLimit(every10, 60 * MIN, 30 * MIN)).toBe(60 * MIN);
    expect(describeWidth(10 * MIN)).toBe('10-minute');
    expect(describeWidth(2 * 60 * MIN)).toBe('2-hour');
    expect(describeWidth(5000)).toBe('5-second');
  });
});
