import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff.js';

describe('Backoff', () => {
  it('doubles its ceiling up to the cap and starts again after a reset', () => {
    const backoff = new Backoff({ initialMs: 1_000, maxMs: 30_000, random: () => 0.999999 });
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
    backoff.reset();
    expect(backoff.next()).toBe(1_000);
  });

  it('draws each delay between half the ceiling and the ceiling', () => {
    const low = new Backoff({ initialMs: 1_000, maxMs: 30_000, random: () => 0 });
    expect(Array.from({ length: 7 }, () => low.next())).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000,
    ]);
    const middle = new Backoff({ initialMs: 1_000, maxMs: 30_000, random: () => 0.5 });
    expect(middle.next()).toBe(750);
  });

  it('spreads a fleet that reconnects at the same moment', () => {
    // 200 clients that lost the broker together, each with its own Math.random: their first retries spread
    // over the whole window [ceiling/2, ceiling] instead of falling on one instant.
    const firstRetries = Array.from({ length: 200 }, () => new Backoff({ initialMs: 8_000 }).next());
    expect(Math.min(...firstRetries)).toBeGreaterThanOrEqual(4_000);
    expect(Math.max(...firstRetries)).toBeLessThanOrEqual(8_000);
    expect(new Set(firstRetries).size).toBeGreaterThan(150);
    expect(Math.max(...firstRetries) - Math.min(...firstRetries)).toBeGreaterThan(2_000);
  });

  it('starts again from the first delay after a connection that lasted, not after one the broker dropped at once', () => {
    let now = 0;
    const backoff = new Backoff({
      initialMs: 1_000,
      maxMs: 30_000,
      stableMs: 30_000,
      random: () => 0.999999,
      now: () => now,
    });
    expect([backoff.afterClose(), backoff.afterClose(), backoff.afterClose()]).toEqual([1_000, 2_000, 4_000]);
    // Connected, then hung up on within a second (e.g. a publish the broker's ACL denies): keeps growing.
    backoff.connected();
    now += 900;
    expect(backoff.afterClose()).toBe(8_000);
    backoff.connected();
    now += 29_999;
    expect(backoff.afterClose()).toBe(16_000);
    // A connection that lasted 30 s: the broker was fine, the next outage starts from the first delay.
    backoff.connected();
    now += 30_000;
    expect(backoff.afterClose()).toBe(1_000);
    // A failed attempt after that is not a connection: it grows.
    expect(backoff.afterClose()).toBe(2_000);
  });

  it('refuses delays that make no sense', () => {
    expect(() => new Backoff({ initialMs: 0, maxMs: 1_000 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 2_000, maxMs: 1_000 })).toThrow(RangeError);
  });
});
