import { createLogger, type DeviceSettings } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ECONOMY_FACTOR, ReadingScheduler, readingPeriodMs } from '../../src/device/reading-scheduler.js';

const logger = createLogger('edge-test', 'silent');
const settings = (patch: Partial<DeviceSettings> = {}): DeviceSettings => ({
  mode: 'auto',
  intervalle: 5,
  seuil_alerte: 30,
  actif: true,
  ...patch,
});

describe('readingPeriodMs', () => {
  it('is intervalle in auto, intervalle × 4 in economie, none in manuel or when inactive', () => {
    expect(ECONOMY_FACTOR).toBe(4);
    expect(readingPeriodMs(settings({ intervalle: 5 }))).toBe(5_000);
    expect(readingPeriodMs(settings({ mode: 'economie', intervalle: 5 }))).toBe(20_000);
    expect(readingPeriodMs(settings({ mode: 'manuel' }))).toBeNull();
    expect(readingPeriodMs(settings({ actif: false }))).toBeNull();
    expect(readingPeriodMs(settings({ mode: 'economie', actif: false }))).toBeNull();
  });
});

describe('ReadingScheduler', () => {
  let times: number[];
  let scheduler: ReadingScheduler;
  const start = Date.UTC(2026, 0, 1);

  beforeEach(() => {
    vi.useFakeTimers({ now: start });
    times = [];
  });

  afterEach(async () => {
    await scheduler.stop();
    vi.useRealTimers();
  });

  const make = (takeReading?: () => Promise<void>) => {
    scheduler = new ReadingScheduler({
      logger,
      takeReading:
        takeReading ??
        (async () => {
          times.push((Date.now() - start) / 1000);
        }),
    });
    return scheduler;
  };

  it('reads at start and then every period; a settings change reschedules at once', async () => {
    make().start(settings({ intervalle: 10 }));
    await vi.advanceTimersByTimeAsync(25_000);
    scheduler.update(settings({ intervalle: 3 }));
    await vi.advanceTimersByTimeAsync(7_000);
    expect(times).toEqual([0, 10, 20, 28, 31]);
  });

  it('the same period again changes nothing', async () => {
    make().start(settings({ intervalle: 10 }));
    await vi.advanceTimersByTimeAsync(8_000);
    scheduler.update(settings({ intervalle: 10, seuil_alerte: 20 }));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(times).toEqual([0, 10]);
  });

  it('reads only on readNow in manuel, and resumes right away when back in auto', async () => {
    make().start(settings({ mode: 'manuel' }));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(times).toEqual([]);
    await scheduler.readNow();
    expect(times).toEqual([60]);
    scheduler.update(settings({ mode: 'auto', intervalle: 2 }));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(times).toEqual([60, 60, 62]);
  });

  it('never runs two readings at once, and stop() waits for the one under way', async () => {
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    make(async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      running -= 1;
      finished += 1;
    }).start(settings({ intervalle: 1 }));
    void scheduler.readNow();
    await vi.advanceTimersByTimeAsync(6_000);
    expect(maxRunning).toBe(1);
    const stopped = scheduler.stop();
    await vi.advanceTimersByTimeAsync(3_000);
    await stopped;
    const after = finished;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(finished).toBe(after);
    expect(running).toBe(0);
  });

  it('a failing reading is logged and the next ones still come', async () => {
    let calls = 0;
    make(async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
    }).start(settings({ intervalle: 1 }));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(calls).toBe(3);
  });
});
