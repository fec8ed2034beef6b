import type { StoredReading } from '@fleet/dashboard';
import { expect, it } from 'vitest';
import type { ReadingStore } from '../../src/storage/reading-store.js';
import { stored, telemetry } from '../server/fixtures.js';
import { describeOnEngines } from './engines.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');

/** `count` contract 2 readings of a device, one per `stepMs` from `start`, temperature = 10 + i. */
function series(
  deviceId: string,
  count: number,
  start: number,
  stepMs: number,
  firstSeq = 0,
): StoredReading[] {
  return Array.from({ length: count }, (_, i) => {
    const at = new Date(start + i * stepMs).toISOString();
    return stored(
      telemetry({
        device_id: deviceId,
        v: 2,
        epoch: 'e1',
        clock_synced: true,
        seq: firstSeq + i,
        timestamp: at,
        temperature: 10 + i,
        humidite: i % 2 === 0 ? 40 : null,
      }),
      at,
    );
  });
}

async function write(store: ReadingStore, readings: StoredReading[]): Promise<void> {
  const items = readings.map((reading) => ({
    reading,
    trustedAt: Date.parse(reading.trusted_at),
    receivedAt: Date.parse(reading.received_at),
  }));
  for (let i = 0; i < items.length; i += 1000) await store.writeReadings(items.slice(i, i + 1000));
}

describeOnEngines('Storage contract: history, buckets, retention', (open) => {
  it('answers a range of at most `limit` readings whole, oldest first, its bounds inclusive', async () => {
    const store = await open();
    await write(store, [...series('pi-1', 10, T0, MINUTE), ...series('pi-2', 3, T0, MINUTE)]);
    const all = await store.history({ deviceId: 'pi-1', limit: 100, form: 'readings' });
    expect(all.bucketMs).toBeNull();
    expect(all.readings.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const some = await store.history({
      deviceId: 'pi-1',
      from: T0 + 2 * MINUTE,
      to: T0 + 5 * MINUTE,
      limit: 100,
      form: 'buckets',
    });
    expect([some.bucketMs, some.readings.map((r) => r.seq), some.buckets]).toEqual([null, [2, 3, 4, 5], []]);
    expect(await store.history({ deviceId: 'pi-9', limit: 10, form: 'readings' })).toEqual({
      readings: [],
      bucketMs: null,
      buckets: [],
    });
    const backwards = await store.history({
      deviceId: 'pi-1',
      from: T0 + HOUR,
      to: T0,
      limit: 10,
      form: 'readings',
    });
    expect(backwards.readings).toEqual([]);
  });

  it('gives a longer range as min, avg and max per bucket (from the rollups), humidity over the readings that had one', async () => {
    const store = await open();
    // Three hours at one reading a minute: 180 readings, temperature 10 … 189.
    await write(store, series('pi-1', 180, T0, MINUTE));
    const answer = await store.history({
      deviceId: 'pi-1',
      from: T0,
      to: T0 + 3 * HOUR - 1,
      limit: 3,
      form: 'buckets',
    });
    expect(answer.bucketMs).toBe(HOUR);
    expect(answer.buckets.map((b) => [b.start, b.n, b.temperature, b.humidite])).toEqual([
      ['2025-03-01T00:00:00.000Z', 60, { min: 10, avg: 39.5, max: 69 }, { min: 40, avg: 40, max: 40 }],
      ['2025-03-01T01:00:00.000Z', 60, { min: 70, avg: 99.5, max: 129 }, { min: 40, avg: 40, max: 40 }],
      ['2025-03-01T02:00:00.000Z', 60, { min: 130, avg: 159.5, max: 189 }, { min: 40, avg: 40, max: 40 }],
    ]);
    // Form readings: the newest reading of each bucket.
    const newest = await store.history({
      deviceId: 'pi-1',
      from: T0,
      to: T0 + 3 * HOUR - 1,
      limit: 3,
      form: 'readings',
    });
    expect([newest.bucketMs, newest.readings.map((r) => r.seq)]).toEqual([HOUR, [59, 119, 179]]);
    // Ten-minute buckets come from the ten-minute rollups.
    const tens = await store.history({
      deviceId: 'pi-1',
      from: T0,
      to: T0 + HOUR - 1,
      limit: 6,
      form: 'buckets',
    });
    expect(tens.bucketMs).toBe(10 * MINUTE);
    expect(tens.buckets.map((b) => [b.n, b.temperature.min, b.temperature.max])).toEqual(
      [0, 1, 2, 3, 4, 5].map((k) => [10, 10 + 10 * k, 19 + 10 * k]),
    );
  });

  it('a late reading and a re-stamped one land in the right buckets', async () => {
    const store = await open();
    await write(store, series('pi-1', 120, T0, MINUTE));
    const hours = () =>
      store.history({ deviceId: 'pi-1', from: T0, to: T0 + 2 * HOUR - 1, limit: 2, form: 'buckets' });
    expect((await hours()).buckets.map((b) => b.n)).toEqual([60, 60]);
    // A reading of the first hour arriving later (its own seq) adds to that hour.
    const late = series('pi-1', 1, T0 + 30 * MINUTE + 1000, MINUTE, 500)[0] as StoredReading;
    await write(store, [{ ...late, temperature: -5 }]);
    expect((await hours()).buckets.map((b) => [b.n, b.temperature.min])).toEqual([
      [61, -5],
      [60, 70],
    ]);
    // A reading first filed in the second hour (unsynchronised clock), then re-stamped into the first.
    const unsynced = stored(
      telemetry({
        v: 2,
        epoch: 'e1',
        seq: 900,
        clock_synced: false,
        timestamp: '2024-01-01T00:00:00.000Z',
        temperature: 500,
      }),
      new Date(T0 + 90 * MINUTE).toISOString(),
    );
    await write(store, [unsynced]);
    expect((await hours()).buckets.map((b) => [b.n, b.temperature.max])).toEqual([
      [61, 69],
      [61, 500],
    ]);
    const fixed = {
      ...unsynced,
      timestamp: new Date(T0 + 10 * MINUTE + 5).toISOString(),
      clock_synced: true,
    };
    expect(
      await store.writeReadings([
        { reading: fixed, trustedAt: T0 + 10 * MINUTE + 5, receivedAt: T0 + 91 * MINUTE },
      ]),
    ).toEqual([{ kind: 'restamped' }]);
    expect((await hours()).buckets.map((b) => [b.n, b.temperature.max])).toEqual([
      [62, 500],
      [60, 129],
    ]);
  });

  it('retention removes the readings before the cutoff, keeps their hour rollups, then trims rollups by their own cutoffs', async () => {
    const store = await open();
    // Four hours at one a minute; the cutoff is the start of the third hour.
    await write(store, series('pi-1', 240, T0, MINUTE));
    await store.history({ deviceId: 'pi-1', limit: 10, form: 'buckets' }); // rolls up what waits
    const cutoff = T0 + 2 * HOUR;
    expect(await store.deleteOlderThan(cutoff)).toBe(120);
    const raw = await store.history({
      deviceId: 'pi-1',
      from: cutoff,
      to: T0 + 4 * HOUR - 1,
      limit: 1000,
      form: 'readings',
    });
    expect(raw.readings.map((r) => r.seq)).toEqual(Array.from({ length: 120 }, (_, i) => 120 + i));
    // A range from before the cutoff is read from the hour rollups, which still hold the removed readings.
    const hours = await store.history({
      deviceId: 'pi-1',
      from: T0,
      to: T0 + 4 * HOUR - 1,
      limit: 1000,
      form: 'buckets',
    });
    expect([hours.bucketMs, hours.buckets.map((b) => b.n)]).toEqual([HOUR, [60, 60, 60, 60]]);
    // The delivery figures are kept: a removed reading was received, not lost.
    expect((await store.deliveryOf(['pi-1'])).get('pi-1')).toEqual({ received: 240, lost: 0, conflicts: 0 });
    // Minute and ten-minute rollups before the raw cutoff go; hour rollups before the rollup cutoff go.
    const removed = await store.deleteRollupsOlderThan(cutoff, T0 + HOUR);
    expect(removed).toBe(120 + 12 + 1);
    const after = await store.history({
      deviceId: 'pi-1',
      from: T0,
      to: T0 + 4 * HOUR - 1,
      limit: 1000,
      form: 'buckets',
    });
    expect(after.buckets.map((b) => [b.start, b.n])).toEqual([
      ['2025-03-01T01:00:00.000Z', 60],
      ['2025-03-01T02:00:00.000Z', 60],
      ['2025-03-01T03:00:00.000Z', 60],
    ]);
  });

  it('lists the most recent readings by trusted time, oldest first, of one device or of all', async () => {
    const store = await open();
    await write(store, [...series('pi-1', 5, T0, MINUTE), ...series('pi-2', 5, T0 + 30_000, MINUTE)]);
    const all = await store.recent({ limit: 3 });
    expect(all.map((r) => `${r.device_id}/${r.seq}`)).toEqual(['pi-2/3', 'pi-1/4', 'pi-2/4']);
    const one = await store.recent({ deviceId: 'pi-1', limit: 2 });
    expect(one.map((r) => r.seq)).toEqual([3, 4]);
  });
});
