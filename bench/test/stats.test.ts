import { describe, expect, it } from 'vitest';
import { distribution, percentile, perSecond, ratio } from '../src/stats.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

  it('gives the sample that p % of the samples do not exceed', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('is null for no samples and refuses a p outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile(hundred, 0)).toThrow(
      'percentile received 0; accepted: a number above 0 and at most 100.',
    );
    expect(() => percentile(hundred, 101)).toThrow(/received 101/);
  });
});

describe('distribution', () => {
  it('sorts numerically (not as text) without changing its input', () => {
    const samples = [100, 9, 20, 3, 1000];
    const d = distribution(samples);
    expect(d).toEqual({ count: 5, p50: 20, p95: 1000, p99: 1000, max: 1000 });
    expect(samples).toEqual([100, 9, 20, 3, 1000]);
  });

  it('is empty for no samples', () => {
    expect(distribution([])).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null });
  });
});

describe('rates', () => {
  it('counts per second from milliseconds', () => {
    expect(perSecond(5000, 2000)).toBe(2500);
    expect(perSecond(10, 0)).toBeNull();
  });

  it('divides, or says nothing when a side is missing', () => {
    expect(ratio(45, 150)).toBeCloseTo(0.3);
    expect(ratio(null, 150)).toBeNull();
    expect(ratio(45, 0)).toBeNull();
  });
});
