import type { Telemetry } from '@fleet/shared';
import { describe, expect, it } from 'vitest';
import { ReadingRestamper } from '../../src/clock/reading-restamper.js';
import { ManualDeviceClock } from './manual-device-clock.js';

function reading(
  seq: number,
  timestamp: string,
  clockSynced: boolean | undefined,
  epoch?: string,
): Telemetry {
  return {
    v: 2,
    device_id: 'pi-1',
    timestamp,
    temperature: 21,
    humidite: 40,
    pression: 1013,
    batterie: 99,
    mode: 'auto',
    firmware: 'v1.0.0',
    alerte: false,
    uptime: 0,
    seq,
    source: 'synthetic',
    ...(epoch !== undefined ? { epoch } : {}),
    ...(clockSynced !== undefined ? { clock_synced: clockSynced } : {}),
  };
}

describe('ReadingRestamper', () => {
  it('gives a reading taken before the clock was set its true time once the clock is synchronised', () => {
    // The Pi starts a year behind; readings are taken 5 s apart and queued (the broker is down).
    const clock = new ManualDeviceClock('2025-12-01T10:00:00.000Z', { synced: false, monotonicMs: 50_000 });
    const restamper = new ReadingRestamper(clock);
    const taken: Telemetry[] = [];
    for (let seq = 0; seq < 3; seq++) {
      const telemetry = reading(seq, clock.now().toISOString(), clock.synced(), 'e1');
      restamper.noteUnsynced(telemetry, clock.monotonicMs());
      taken.push(telemetry);
      clock.advance(5_000);
    }
    // Still unsynchronised: published as taken.
    expect(restamper.restamp(taken[0] as Telemetry)).toBe(taken[0]);

    // NTP sets the clock (a year forward, mid-way through a second) and 7.25 s pass before the broker is back.
    clock.setWall('2026-12-01T10:00:15.500Z');
    clock.setSynced(true);
    clock.advance(7_250);
    // Now: 10:00:22.750 true time; the readings were taken 22.25, 17.25 and 12.25 s ago.
    expect(taken.map((telemetry) => restamper.restamp(telemetry))).toEqual([
      { ...taken[0], timestamp: '2026-12-01T10:00:00.500Z', clock_synced: true },
      { ...taken[1], timestamp: '2026-12-01T10:00:05.500Z', clock_synced: true },
      { ...taken[2], timestamp: '2026-12-01T10:00:10.500Z', clock_synced: true },
    ]);

    // A publish repeated later says the same.
    clock.advance(60_000);
    expect(restamper.restamp(taken[1] as Telemetry).timestamp).toBe('2026-12-01T10:00:05.500Z');
    restamper.forget(taken[1] as Telemetry);
    expect(restamper.restamp(taken[1] as Telemetry)).toBe(taken[1]);
  });

  it('leaves alone readings taken synchronised, from an earlier run, or of the previous contract', () => {
    const clock = new ManualDeviceClock('2026-12-01T10:00:00.000Z', { synced: true });
    const restamper = new ReadingRestamper(clock);
    const synced = reading(1, '2026-12-01T09:59:00.000Z', true, 'e1');
    const earlierRun = reading(2, '2025-12-01T09:59:00.000Z', false, 'e1');
    const contract1 = reading(3, '2025-12-01T09:59:00.000Z', undefined);
    for (const telemetry of [synced, earlierRun, contract1]) {
      expect(restamper.restamp(telemetry)).toBe(telemetry);
    }
  });

  it('tells readings of two epochs with the same seq apart', () => {
    const clock = new ManualDeviceClock('2025-12-01T10:00:00.000Z', { synced: false, monotonicMs: 0 });
    const restamper = new ReadingRestamper(clock);
    const current = reading(0, clock.now().toISOString(), false, 'new');
    restamper.noteUnsynced(current, clock.monotonicMs());
    const previous = reading(0, '2025-11-30T10:00:00.000Z', false, 'old');
    clock.setWall('2026-12-01T10:00:00.000Z');
    clock.setSynced(true);
    expect(restamper.restamp(previous)).toBe(previous);
    expect(restamper.restamp(current).timestamp).toBe('2026-12-01T10:00:00.000Z');
  });

  it('remembers at most `max` readings, forgetting the oldest', () => {
    const clock = new ManualDeviceClock('2025-12-01T10:00:00.000Z', { synced: false, monotonicMs: 0 });
    const restamper = new ReadingRestamper(clock, 2);
    const readings = [0, 1, 2].map((seq) => reading(seq, clock.now().toISOString(), false, 'e'));
    for (const telemetry of readings) restamper.noteUnsynced(telemetry, 0);
    expect(restamper.size).toBe(2);
    clock.setSynced(true);
    expect(restamper.restamp(readings[0] as Telemetry).clock_synced).toBe(false);
    expect(restamper.restamp(readings[2] as Telemetry).clock_synced).toBe(true);
  });
});
