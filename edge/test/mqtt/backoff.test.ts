import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/mqtt/backoff.js';

describe('Backoff', () => {
  it('doubles up to the cap and starts again after a reset', () => {
    const backoff = new Backoff(1_000, 30_000);
    expect(backoff.delayMs).toBe(1_000);
    const delays = Array.from({ length: 7 }, () => backoff.grow());
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    expect(backoff.reset()).toBe(1_000);
    expect(backoff.delayMs).toBe(1_000);
  });

  it('refuses delays that make no sense', () => {
    expect(() => new Backoff(0, 1_000)).toThrow(RangeError);
    expect(() => new Backoff(2_000, 1_000)).toThrow(RangeError);
  });
});
