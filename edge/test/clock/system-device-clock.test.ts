import { afterEach, describe, expect, it } from 'vitest';
import { ClockFloor } from '../../src/clock/clock-floor.js';
import type { KernelTimeState } from '../../src/clock/kernel-time.js';
import { type ClockSyncSource, SystemDeviceClock } from '../../src/clock/system-device-clock.js';
import { captureLogger, LEVEL } from '../state/capture-logger.js';

const RELEASE = new Date('2026-12-01T00:00:00.000Z');
const YEAR_BEHIND = new Date('2025-12-01T10:00:00.000Z');
const RIGHT = new Date('2026-12-01T10:00:00.000Z');
const SYNCED: KernelTimeState = { status: 8193, maxerrorUs: 4500, synced: true };
const UNSYNCED: KernelTimeState = { status: 64, maxerrorUs: 16_000_000, synced: false };

/** A clock whose wall, monotonic time and kernel answer the test sets. */
function setup(source: ClockSyncSource, kernel: KernelTimeState | Error = UNSYNCED) {
  const { logger, lines, at } = captureLogger();
  const state = { wall: YEAR_BEHIND, mono: 5_000, kernel, kernelCalls: 0 };
  const clock = new SystemDeviceClock({
    source,
    floor: new ClockFloor({ file: null, logger, releaseDate: RELEASE }),
    logger,
    wall: () => state.wall,
    monotonic: () => state.mono,
    readKernel: async () => {
      state.kernelCalls += 1;
      if (state.kernel instanceof Error) throw state.kernel;
      return state.kernel;
    },
    checkEveryMs: 3_600_000,
  });
  const infos = () => at(LEVEL.info).map((line) => line.msg);
  return { clock, state, lines, at, infos };
}

const clocks: SystemDeviceClock[] = [];
afterEach(async () => {
  await Promise.all(clocks.splice(0).map((clock) => clock.stop()));
});

async function started(parts: ReturnType<typeof setup>) {
  clocks.push(parts.clock);
  await parts.clock.start();
  return parts;
}

describe('SystemDeviceClock with CLOCK_SYNC_SOURCE=floor', () => {
  it('is not synchronised while the wall clock is behind the floor, and says so once it is set', async () => {
    const { clock, state, infos, at } = await started(setup('floor'));
    expect(clock.synced()).toBe(false);
    expect(state.kernelCalls).toBe(0);
    expect(infos()).toEqual(['clock: not synchronised, judged by the floor (CLOCK_SYNC_SOURCE=floor)']);
    expect(at(LEVEL.info)[0]).toMatchObject({
      clock_sync_source: 'floor',
      judged_by: 'floor',
      synced: false,
      now: YEAR_BEHIND.toISOString(),
      floor: RELEASE.toISOString(),
    });

    const changes: boolean[] = [];
    clock.onChange((synced) => changes.push(synced));
    state.wall = RIGHT;
    // Noticed at the next reading (synced() is asked before each), without waiting for the periodic check.
    expect(clock.synced()).toBe(true);
    expect(clock.synced()).toBe(true);
    expect(changes).toEqual([true]);
    expect(infos().at(-1)).toBe(
      `the clock is synchronised now (${RIGHT.toISOString()}): readings carry clock_synced true`,
    );

    state.wall = YEAR_BEHIND;
    await clock.check();
    expect(changes).toEqual([true, false]);
    expect(infos().at(-1)).toBe(
      `the clock is no longer synchronised (${YEAR_BEHIND.toISOString()}): readings carry clock_synced false`,
    );
  });

  it('keeps its wall and monotonic clocks apart: setting the wall clock moves no duration', async () => {
    const { clock, state } = await started(setup('floor'));
    const before = clock.monotonicMs();
    state.wall = RIGHT;
    expect(clock.now()).toEqual(RIGHT);
    expect(clock.monotonicMs()).toBe(before);
  });
});

describe('SystemDeviceClock with CLOCK_SYNC_SOURCE=kernel', () => {
  it("follows the kernel's NTP state, whatever the wall clock shows", async () => {
    const { clock, state, infos } = await started(setup('kernel', UNSYNCED));
    state.wall = RIGHT;
    expect(clock.synced()).toBe(false);
    expect(infos()).toEqual([
      "clock: not synchronised, judged by the kernel's NTP state (adjtimex) (CLOCK_SYNC_SOURCE=kernel)",
    ]);

    state.kernel = SYNCED;
    await clock.check();
    expect(clock.synced()).toBe(true);
    expect(infos().at(-1)).toMatch(/^the clock is synchronised now/);
  });

  it('refreshes a kernel answer older than 2 s when asked, in the background', async () => {
    const { clock, state } = await started(setup('kernel', UNSYNCED));
    const calls = state.kernelCalls;
    state.kernel = SYNCED;
    expect(clock.synced()).toBe(false); // the cached answer, 0 s old
    expect(state.kernelCalls).toBe(calls);
    state.mono += 2_500;
    expect(clock.synced()).toBe(false); // still the cached answer, a refresh started
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.kernelCalls).toBe(calls + 1);
    expect(clock.synced()).toBe(true);
  });

  it('counts the clock as not synchronised while adjtimex cannot be read, saying so once', async () => {
    const { clock, state, at } = await started(setup('kernel', new Error('/sbin/adjtimex is not installed')));
    state.wall = RIGHT;
    const calls = state.kernelCalls;
    for (let i = 0; i < 10; i++) expect(clock.synced()).toBe(false);
    // A failed answer is cached like a good one: not asked again at every reading.
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.kernelCalls).toBe(calls);
    await clock.check();
    await clock.check();
    expect(at(LEVEL.warn).map((line) => line.msg)).toEqual([
      "the kernel's NTP state cannot be read (/sbin/adjtimex is not installed); with CLOCK_SYNC_SOURCE=kernel the clock counts as not synchronised",
    ]);
  });
});

describe('SystemDeviceClock with CLOCK_SYNC_SOURCE=auto', () => {
  it('uses the kernel when adjtimex answers at start', async () => {
    const { clock, state } = await started(setup('auto', UNSYNCED));
    state.wall = RIGHT;
    expect(clock.judgedBy).toBe('kernel');
    expect(clock.synced()).toBe(false);
  });

  it('uses the floor when adjtimex is missing, and says why at start', async () => {
    const { clock, state, infos } = await started(
      setup('auto', new Error('/sbin/adjtimex is not installed')),
    );
    expect(clock.judgedBy).toBe('floor');
    expect(infos()).toEqual([
      `the kernel's NTP state cannot be read (/sbin/adjtimex is not installed); the clock counts as synchronised once it is later than ${RELEASE.toISOString()}`,
      'clock: not synchronised, judged by the floor (CLOCK_SYNC_SOURCE=auto)',
    ]);
    state.wall = RIGHT;
    expect(clock.synced()).toBe(true);
  });

  it('falls back to the floor when adjtimex fails later, and back to the kernel when it answers again', async () => {
    const { clock, state, at, infos } = await started(setup('auto', SYNCED));
    state.wall = RIGHT;
    expect(clock.synced()).toBe(true);

    state.kernel = new Error('/sbin/adjtimex --print failed: killed');
    await clock.check();
    expect(clock.judgedBy).toBe('floor');
    expect(clock.synced()).toBe(true); // the floor agrees: the wall clock is past the release date
    expect(at(LEVEL.warn).map((line) => line.msg)).toEqual([
      "the kernel's NTP state cannot be read any more (/sbin/adjtimex --print failed: killed); the floor judges the clock meanwhile",
    ]);

    state.kernel = UNSYNCED;
    await clock.check();
    expect(clock.judgedBy).toBe('kernel');
    expect(clock.synced()).toBe(false);
    expect(infos()).toContain("the kernel's NTP state can be read again");
  });
});

describe('SystemDeviceClock with the real clocks', () => {
  it('gives CLOCK_MONOTONIC in milliseconds, which moves with time and never goes back', async () => {
    const { logger } = captureLogger();
    const clock = new SystemDeviceClock({
      source: 'floor',
      floor: new ClockFloor({ file: null, logger }),
      logger,
    });
    const first = clock.monotonicMs();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = clock.monotonicMs();
    expect(second - first).toBeGreaterThanOrEqual(45);
    expect(second - first).toBeLessThan(5_000);
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(1_000);
  });
});
