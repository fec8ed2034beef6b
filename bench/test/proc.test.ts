import { describe, expect, it } from 'vitest';
import { cpuPercent, parseStatTicks, parseStatusMemory, sampleProcess } from '../src/proc.js';

describe('/proc readings', () => {
  it('reads the CPU ticks after a command name holding spaces and parentheses', () => {
    const stat =
      '4242 (node (main) x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 750 125 0 0 20 0 11 0 9999 1000000 25000';
    expect(parseStatTicks(stat)).toEqual({ user: 750, system: 125 });
    expect(() => parseStatTicks('garbage')).toThrow(/Could not read the CPU times/);
  });

  it('reads the resident memory and its peak in bytes', () => {
    const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseStatusMemory(status)).toEqual({ rss: 102_400 * 1024, peak: 204_800 * 1024 });
    expect(() => parseStatusMemory('Name:\tnode\n')).toThrow('/proc/<pid>/status has no VmRSS line.');
  });

  it('turns ticks over a window into percent of one core', () => {
    expect(cpuPercent(150, 1000)).toBe(150);
    expect(cpuPercent(50, 2000)).toBe(25);
    expect(cpuPercent(10, 0)).toBe(0);
  });

  it('samples a real process (this one)', () => {
    const sample = sampleProcess(process.pid);
    expect(sample.rss).toBeGreaterThan(10_000_000);
    expect(sample.peak).toBeGreaterThanOrEqual(sample.rss);
    expect(sample.ticks).toBeGreaterThan(0);
  });
});
