import { describe, expect, it } from 'vitest';
import { dueBy, Pacer } from '../src/pacer.js';

describe('Pacer', () => {
  it('owes what the rate allows since the start', () => {
    expect(dueBy(0, 10_000)).toBe(0);
    expect(dueBy(1, 10_000)).toBe(10);
    expect(dueBy(1500, 1000)).toBe(1500);
    expect(dueBy(-5, 1000)).toBe(0);
  });

  it('catches up after a late tick, and never sends twice what was due', () => {
    const pacer = new Pacer(1000, 100);
    expect(pacer.take(100)).toBe(0);
    expect(pacer.take(110)).toBe(10);
    expect(pacer.take(110)).toBe(0);
    expect(pacer.take(160)).toBe(50);
    expect(pacer.take(1100)).toBe(940);
    expect(pacer.total).toBe(1000);
  });
});
