import { bucketWidth, RetentionJob, RollupJob, type TelemetryStore } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  capturingLogger,
  eventually,
  ManualClock,
  openStore,
  quietLogger,
  readings,
  stored,
  telemetry,
  tempDir,
} from './fixtures.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('history in time buckets (rollups)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  const write = (list: Telemetry[], receivedIso?: string) =>
    store.transaction(() => list.map((reading) => store.writeReading(stored(reading, receivedIso)).kind));
  /** Every rollup of pi-1 over [from, to] in buckets of exactly `width` (limit set to the bucket count). */
  const buckets = (fromIso: string, toIso: string, width: number) => {
    const from = Date.parse(fromIso);
    const to = Date.parse(toIso);
    const limit = Math.floor(to / width) - Math.floor(from / width) + 1;
    const answer = store.history({ deviceId: 'pi-1', from, to, limit, form: 'buckets' });
    expect(answer.bucketMs).toBe(width);
    return answer.buckets;
  };
  /** The rollup rows of pi-1 (after rolling up what waits): [start, readings, lowest temperature]. */
  const rollups = (table: 'rollup_minute' | 'rollup_10min' | 'rollup_hour') => {
    store.rollUp(1_000_000);
    const rows = store.database
      .prepare(`SELECT bucket, n, temperature_min FROM ${table} WHERE device_id = 'pi-1' ORDER BY bucket`)
      .all() as Array<{ bucket: number; n: number; temperature_min: number }>;
    return rows.map((row) => [new Date(row.bucket).toISOString(), row.n, row.temperature_min]);
  };

  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  it('gives a range with at most `limit` readings whole, and a longer one in at most `limit` buckets', () => {
    write(readings('pi-1', 3 * 3600, '2025-03-01T06:00:00Z'));
    // What the rollup job does every second (a query rolls up 5000 waiting readings at most itself).
    store.rollUp(1_000_000);
    const from = Date.parse('2025-03-01T06:00:00Z');
    const whole = store.history({ deviceId: 'pi-1', from, to: from + 99_000, limit: 100, form: 'buckets' });
    expect(whole.bucketMs).toBeNull();
    expect(whole.readings.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));

    const to = Date.parse('2025-03-01T08:59:59Z');
    const answer = store.history({ deviceId: 'pi-1', from, to, limit: 100, form: 'buckets' });
    // 3 h in at most 100 buckets: 2 minutes each (the next width up from 108 s), 90 of them.
    expect(answer.bucketMs).toBe(2 * MINUTE);
    expect(answer.buckets).toHaveLength(90);
    expect(answer.buckets[0]).toMatchObject({ start: '2025-03-01T06:00:00.000Z', n: 120 });
    expect(answer.readings).toEqual([]);
    // The readings form: the newest reading of each bucket, oldest first.
    const sampled = store.history({ deviceId: 'pi-1', from, to, limit: 100, form: 'readings' });
    expect(sampled.bucketMs).toBe(2 * MINUTE);
    expect(sampled.readings.map((r) => r.seq)).toEqual(Array.from({ length: 90 }, (_, i) => i * 120 + 119));
  });

  it('keeps a one-reading spike as the max of its bucket, at every width, with the avg of the bucket', () => {
    const list = readings('pi-1', 2 * 3600, '2025-03-01T06:00:00Z');
    const spike = 4321; // 07:12:01
    list[spike] = { ...(list[spike] as Telemetry), temperature: 80, humidite: null, batterie: 3 };
    write(list);
    store.rollUp(1_000_000);
    for (const width of [10_000, MINUTE, 10 * MINUTE, HOUR]) {
      const all = buckets('2025-03-01T06:00:00Z', '2025-03-01T07:59:59Z', width);
      const withSpike = all.filter((bucket) => bucket.temperature.max === 80);
      expect(withSpike).toHaveLength(1);
      const [bucket] = withSpike;
      expect(Date.parse(bucket?.start ?? '')).toBe(
        Math.floor(Date.parse('2025-03-01T07:12:01Z') / width) * width,
      );
      const n = width / 1000;
      expect(bucket).toEqual({
        start: bucket?.start,
        n,
        temperature: { min: 21.5, avg: (21.5 * (n - 1) + 80) / n, max: 80 },
        humidite: { min: 40.2, avg: expect.closeTo(40.2, 9), max: 40.2 },
        pression: { min: 1013.2, avg: expect.closeTo(1013.2, 9), max: 1013.2 },
        batterie: { min: 3, avg: (88 * (n - 1) + 3) / n, max: 88 },
      });
      expect(all.filter((b) => b !== bucket).every((b) => b.temperature.max === 21.5)).toBe(true);
    }
  });

  it('puts a reading that arrives hours late into its old buckets', () => {
    write(readings('pi-1', 3600, '2025-03-01T06:00:00Z', 1000, 100));
    expect(rollups('rollup_hour')).toEqual([['2025-03-01T06:00:00.000Z', 3600, 21.5]]);
    // Rolled up; then a backlog from 01:30 arrives at noon.
    const late = readings('pi-1', 3, '2025-03-01T01:30:00Z').map((r) => ({ ...r, temperature: -5 }));
    write(late, '2025-03-01T12:00:00Z');
    expect(rollups('rollup_hour')).toEqual([
      ['2025-03-01T01:00:00.000Z', 3, -5],
      ['2025-03-01T06:00:00.000Z', 3600, 21.5],
    ]);
    expect(rollups('rollup_minute').slice(0, 2)).toEqual([
      ['2025-03-01T01:30:00.000Z', 3, -5],
      ['2025-03-01T06:00:00.000Z', 60, 21.5],
    ]);
    expect(rollups('rollup_10min').slice(0, 2)).toEqual([
      ['2025-03-01T01:30:00.000Z', 3, -5],
      ['2025-03-01T06:00:00.000Z', 600, 21.5],
    ]);
    // And the history of that day shows it.
    const day = buckets('2025-03-01T00:00:00Z', '2025-03-01T23:59:59Z', HOUR);
    expect(day.map((b) => [b.start, b.n])).toEqual([
      ['2025-03-01T01:00:00.000Z', 3],
      ['2025-03-01T06:00:00.000Z', 3600],
    ]);
  });

  it.each([
    ['after the reading was rolled up', true],
    ['before the reading was rolled up', false],
  ])('moves a re-stamped reading from its arrival bucket to its own time, %s', (_, rolledFirst) => {
    // Sent at 10:42 before the clock was set: filed at its arrival (11:00:30); then re-stamped.
    write(readings('pi-1', 60, '2025-03-01T11:00:00Z', 1000, 1), '2025-03-01T11:01:00Z');
    const first = telemetry({
      seq: 0,
      epoch: 'e1',
      v: 2,
      clock_synced: false,
      timestamp: '2025-03-01T10:42:00.000Z',
      temperature: 5,
    });
    expect(write([first], '2025-03-01T11:00:30Z')).toEqual(['stored']);
    if (rolledFirst) expect(rollups('rollup_minute')).toEqual([['2025-03-01T11:00:00.000Z', 61, 5]]);
    expect(write([{ ...first, clock_synced: true }], '2025-03-01T11:00:40Z')).toEqual(['restamped']);

    expect(rollups('rollup_minute')).toEqual([
      ['2025-03-01T10:42:00.000Z', 1, 5],
      ['2025-03-01T11:00:00.000Z', 60, 21.5],
    ]);
    expect(rollups('rollup_10min')).toEqual([
      ['2025-03-01T10:40:00.000Z', 1, 5],
      ['2025-03-01T11:00:00.000Z', 60, 21.5],
    ]);
    expect(rollups('rollup_hour')).toEqual([
      ['2025-03-01T10:00:00.000Z', 1, 5],
      ['2025-03-01T11:00:00.000Z', 60, 21.5],
    ]);
  });

  it('gives a database rolled up before the ten-minute rollups existed its ten-minute rollups at open', () => {
    write(readings('pi-1', 1800, '2025-03-01T06:00:00Z'));
    const before = rollups('rollup_10min');
    expect(before.map((row) => row[1])).toEqual([600, 600, 600]);
    store.database.exec('DELETE FROM rollup_10min');
    store.close();
    store = openStore(dir.path);
    expect(rollups('rollup_10min')).toEqual(before);
  });

  it.each([
    ['rolled up before retention ran', true],
    ['not rolled up yet when retention ran', false],
  ])(
    'reads a range before the raw readings kept from the hour rollups, which outlive them (ROLLUP_DAYS): readings %s',
    async (_, rolledFirst) => {
      const clock = new ManualClock(Date.parse('2025-06-01T00:00:00Z'));
      const daysAgo = (days: number) => new Date(clock.now().getTime() - days * DAY).toISOString();
      write(readings('pi-1', 120, daysAgo(400)), daysAgo(0));
      write(readings('pi-1', 120, daysAgo(40), 1000, 1000), daysAgo(0));
      write(readings('pi-1', 120, daysAgo(10), 1000, 2000), daysAgo(0));
      // Rolled up before retention runs, or not (then retention adds them to their hour rollups itself).
      if (rolledFirst) expect(store.rollUp(100_000)).toMatchObject({ merged: 360, pending: 0 });
      const job = new RetentionJob({ store, clock, logger: quietLogger(), historyDays: 30, rollupDays: 365 });
      expect(await job.run()).toBe(240);
      expect(store.recent({ limit: 1000 }).map((r) => r.seq)).toEqual(
        Array.from({ length: 120 }, (_, i) => 2000 + i),
      );

      // 60 days in at most 1000 buckets would be 2 h wide from the hour rollups; the 40-day-old readings are
      // there, the 400-day-old ones are gone with their rollups.
      const from = clock.now().getTime() - 60 * DAY;
      const answer = store.history({
        deviceId: 'pi-1',
        from,
        to: clock.now().getTime(),
        limit: 1000,
        form: 'buckets',
      });
      expect(answer.bucketMs).toBe(2 * HOUR);
      expect(answer.buckets.map((b) => [b.start, b.n])).toEqual([
        [daysAgo(40), 120],
        [daysAgo(10), 120],
      ]);
      // Without `from`: from the oldest rollup kept, not the raw readings alone.
      const all = store.history({ deviceId: 'pi-1', limit: 1000, form: 'buckets' });
      expect(all.buckets.map((b) => b.n)).toEqual([120, 120]);
      // Minute rollups went with the raw readings: a narrow range there reads the hour rollups.
      const old = Date.parse(daysAgo(40));
      const narrow = store.history({
        deviceId: 'pi-1',
        from: old,
        to: old + HOUR - 1,
        limit: 100,
        form: 'buckets',
      });
      expect(narrow.bucketMs).toBe(HOUR);
      expect(narrow.buckets.map((b) => b.n)).toEqual([120]);
    },
  );

  it('rolls up a database filled before the job started, in the background, in small steps', async () => {
    write(readings('pi-1', 12_000, '2025-03-01T00:00:00Z'));
    write(readings('pi-2', 500, '2025-03-01T00:00:00Z'));
    const job = new RollupJob({ store, logger: quietLogger(), batch: 1000 });
    job.start();
    await eventually(() => store.rollUp(1).pending === 0);
    await job.stop();
    const hours = buckets('2025-03-01T00:00:00Z', '2025-03-01T03:59:59Z', HOUR);
    expect(hours.map((b) => b.n)).toEqual([3600, 3600, 3600, 1200]);
  });

  it('says once that rolling up fails (a full disk), and once that it works again', async () => {
    const { logger, lines } = capturingLogger('info');
    let failures = 3;
    const failing = {
      rollUp: (maxRows: number) => {
        if (failures-- > 0) throw new Error('database or disk is full');
        return store.rollUp(maxRows);
      },
    };
    const job = new RollupJob({ store: failing, logger });
    for (let run = 0; run < 4; run++) await job.run();
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [50, 'Could not roll up the new readings; trying again every run'],
      [30, 'Rolling up the new readings works again'],
    ]);
  });

  it('picks bucket widths that fit the limit, from a list that nests (seconds, minutes, hours, days)', () => {
    const week = 7 * DAY;
    expect(bucketWidth(0, week - 1, 1000)).toBe(15 * MINUTE);
    expect(bucketWidth(0, DAY - 1, 1440)).toBe(MINUTE);
    expect(bucketWidth(0, HOUR - 1, 1000)).toBe(5_000);
    expect(bucketWidth(0, 365 * DAY - 1, 1000)).toBe(12 * HOUR);
    expect(bucketWidth(0, 3650 * DAY - 1, 1000)).toBe(4 * DAY);
    expect(bucketWidth(0, HOUR - 1, 1000, HOUR)).toBe(HOUR);
  });
});
