import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newRecord, RetentionJob, TelemetryStore } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  eventually,
  ManualClock,
  onlineStatus,
  openStore,
  quietLogger,
  readings,
  telemetry,
  tempDir,
} from './fixtures.js';

const DAY = 24 * 60 * 60 * 1000;

describe('TelemetryStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  const dbPath = () => join(dir.path, 'dashboard.sqlite');
  /** What another connection sees in the file: only committed rows. */
  const committedRows = () => {
    const db = new Database(dbPath(), { readonly: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM telemetry').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    store?.close();
    await dir.remove();
  });

  it('uses WAL mode', () => {
    store = openStore(dir.path);
    const db = new Database(dbPath(), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('stores a (device_id, seq) once: a redelivered reading is not a second point', () => {
    store = openStore(dir.path);
    const stored: Telemetry[][] = [];
    store.onStored((rows) => stored.push(rows));
    const reading = telemetry({ seq: 7 });
    store.enqueue(reading);
    store.enqueue({ ...reading });
    store.flush();
    store.enqueue({ ...reading, temperature: 99 }); // same seq again, in a later batch
    store.flush();
    expect(store.recent({ limit: 10 })).toEqual([reading]);
    expect(stored).toEqual([[reading]]);
    // The same seq from another device is another point.
    store.enqueue(telemetry({ seq: 7, device_id: 'pi-2' }));
    store.flush();
    expect(store.recent({ limit: 10 })).toHaveLength(2);
  });

  it('writes a full batch in one transaction at once and holds a partial one until the interval', () => {
    store = openStore(dir.path, { batchSize: 3, flushIntervalMs: 60_000 });
    const batches: number[] = [];
    store.onStored((rows) => batches.push(rows.length));
    const [a, b, c, d] = readings('pi-1', 4, '2025-03-01T00:00:00Z');
    store.enqueue(a as Telemetry);
    store.enqueue(b as Telemetry);
    expect(store.pending).toBe(2);
    expect(committedRows()).toBe(0);
    store.enqueue(c as Telemetry);
    expect(store.pending).toBe(0);
    expect(committedRows()).toBe(3);
    store.enqueue(d as Telemetry);
    expect(committedRows()).toBe(3);
    expect(batches).toEqual([3]);
  });

  it('writes a partial batch after the flush interval, many readings in few transactions', async () => {
    store = openStore(dir.path, { batchSize: 1000, flushIntervalMs: 20 });
    const batches: number[] = [];
    store.onStored((rows) => batches.push(rows.length));
    for (const reading of readings('pi-1', 2500, '2025-03-01T00:00:00Z')) store.enqueue(reading);
    expect(batches).toEqual([1000, 1000]);
    await eventually(() => store.pending === 0, 2000, 'the timed flush');
    expect(batches).toEqual([1000, 1000, 500]);
    expect(committedRows()).toBe(2500);
  });

  it('returns the most recent readings oldest first, of all devices or one', () => {
    store = openStore(dir.path);
    const one = readings('pi-1', 5, '2025-03-01T00:00:00Z', 2000);
    const two = readings('pi-2', 5, '2025-03-01T00:00:01Z', 2000);
    for (const reading of [...two, ...one]) store.enqueue(reading);
    // pi-1 at 0, 2, 4, 6, 8 s; pi-2 at 1, 3, 5, 7, 9 s.
    expect(store.recent({ limit: 4 })).toEqual([one[3], two[3], one[4], two[4]]);
    expect(store.recent({ limit: 3, deviceId: 'pi-1' })).toEqual(one.slice(2));
    expect(store.recent({ limit: 100, deviceId: 'pi-2' })).toEqual(two);
  });

  it('thins a range evenly down to the limit, keeping the newest reading, oldest first', () => {
    store = openStore(dir.path);
    const all = readings('pi-1', 100, '2025-03-01T00:00:00Z');
    for (const reading of all) store.enqueue(reading);
    const thinned = store.range({ deviceId: 'pi-1', limit: 10 });
    expect(thinned.map((r) => r.seq)).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
    // A range with fewer readings than the limit comes whole; bounds are inclusive.
    const from = Date.parse('2025-03-01T00:00:10Z');
    const to = Date.parse('2025-03-01T00:00:14Z');
    expect(store.range({ deviceId: 'pi-1', from, to, limit: 10 })).toEqual(all.slice(10, 15));
    expect(store.range({ deviceId: 'pi-2', limit: 10 })).toEqual([]);
  });

  it('keeps telemetry and the device registry across a reopen', () => {
    store = openStore(dir.path);
    const saved = readings('pi-1', 3, '2025-03-01T00:00:00Z');
    for (const reading of saved) store.enqueue(reading);
    const record = {
      ...newRecord('pi-1', 1000),
      last_seen: 2000,
      status: onlineStatus('pi-1'),
      latest: saved[2] ?? null,
    };
    store.saveDevices([record]);
    store.enqueue(telemetry({ seq: 3, timestamp: '2025-03-01T00:00:03.000Z' })); // still queued at close
    store.close();

    store = openStore(dir.path);
    expect(store.recent({ limit: 10 }).map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(store.loadDevices()).toEqual([record]);
  });

  it('answers isHealthy while open, not after close', () => {
    store = openStore(dir.path);
    expect(store.isHealthy()).toBe(true);
    store.close();
    expect(store.isHealthy()).toBe(false);
  });
});

describe('RetentionJob', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  beforeEach(async () => {
    dir = await tempDir();
    store = openStore(dir.path);
  });
  afterEach(async () => {
    store.close();
    await dir.remove();
  });

  it('removes readings older than HISTORY_DAYS by the injected clock, at start and on each run', async () => {
    const clock = new ManualClock(Date.parse('2025-03-31T00:00:00Z'));
    const at = (daysAgo: number, seq: number) =>
      telemetry({ seq, timestamp: new Date(clock.now().getTime() - daysAgo * DAY).toISOString() });
    for (const reading of [at(31, 0), at(29.5, 1), at(10, 2), at(0, 3)]) store.enqueue(reading);
    store.flush();
    const job = new RetentionJob({
      store,
      clock,
      logger: quietLogger(),
      historyDays: 30,
      intervalMs: 3_600_000,
    });
    await job.start();
    expect(store.recent({ limit: 10 }).map((r) => r.seq)).toEqual([1, 2, 3]);

    clock.advance(DAY);
    expect(await job.run()).toBe(1);
    expect(store.recent({ limit: 10 }).map((r) => r.seq)).toEqual([2, 3]);
    await job.stop();
  });

  it('removes more rows than one delete chunk', async () => {
    const clock = new ManualClock(Date.parse('2025-06-01T00:00:00Z'));
    for (const reading of readings('pi-1', 6_000, '2025-01-01T00:00:00Z')) store.enqueue(reading);
    store.enqueue(telemetry({ seq: 20_000, timestamp: '2025-05-31T00:00:00Z' }));
    store.flush();
    const job = new RetentionJob({ store, clock, logger: quietLogger(), historyDays: 30 });
    expect(await job.run()).toBe(6_000);
    expect(store.recent({ limit: 10 }).map((r) => r.seq)).toEqual([20_000]);
  });
});

describe('TelemetryStore.open', () => {
  it('says which database it could not open', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'file'), 'not a folder');
      const store = new TelemetryStore({ path: join(dir.path, 'file', 'db.sqlite'), logger: quietLogger() });
      expect(() => store.open()).toThrow(
        `Could not open the database ${join(dir.path, 'file', 'db.sqlite')}: `,
      );
      expect(store.isHealthy()).toBe(false);
    } finally {
      await dir.remove();
    }
  });
});
