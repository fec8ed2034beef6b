import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newRecord, RetentionJob, TelemetryStore } from '@fleet/dashboard';
import type { Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ManualClock,
  onlineStatus,
  openStore,
  quietLogger,
  readings,
  stored,
  telemetry,
  tempDir,
} from './fixtures.js';

const DAY = 24 * 60 * 60 * 1000;

describe('TelemetryStore', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: TelemetryStore;
  const dbPath = () => join(dir.path, 'dashboard.sqlite');
  const write = (...list: Telemetry[]) =>
    store.transaction(() => list.map((reading) => store.writeReading(stored(reading)).kind));

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    store?.close();
    await dir.remove();
  });

  it('uses WAL mode with synchronous=FULL (a commit is on disk when it returns)', () => {
    store = openStore(dir.path);
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal');
    // 2 = FULL
    expect(store.database.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('files a reading once per (device_id, epoch, seq); the same seq in another epoch or device is another point', () => {
    store = openStore(dir.path);
    const reading = telemetry({ seq: 7, epoch: 'a1', v: 2, clock_synced: true });
    expect(write(reading, { ...reading })).toEqual(['stored', 'duplicate']);
    expect(write(telemetry({ seq: 7, epoch: 'b2', v: 2, clock_synced: true }))).toEqual(['stored']);
    expect(write(telemetry({ seq: 7, device_id: 'pi-2', epoch: 'a1' }))).toEqual(['stored']);
    expect(write(telemetry({ seq: 7 }))).toEqual(['stored']); // contract 1: epoch ''
    expect(store.recent({ limit: 10 })).toHaveLength(4);
    expect(store.delivery('pi-1')).toEqual({ received: 3, lost: 0, conflicts: 0 });
  });

  it('keeps the first of two different readings under one identity, counts the conflict and says which fields differ', () => {
    store = openStore(dir.path);
    const first = telemetry({ seq: 3, epoch: 'a1' });
    write(first);
    const outcome = store.transaction(() =>
      store.writeReading(stored({ ...first, temperature: 99, uptime: 1 })),
    );
    expect(outcome).toEqual({ kind: 'conflict', stored: stored(first), fields: ['temperature', 'uptime'] });
    expect(store.recent({ limit: 10 })).toEqual([stored(first)]);
    expect(store.delivery('pi-1')).toEqual({ received: 1, lost: 0, conflicts: 1 });
  });

  it('counts the gaps of each contract 2 epoch as lost, never those of contract 1 readings', () => {
    store = openStore(dir.path);
    const epoch = (name: string, seqs: number[]) => seqs.map((seq) => telemetry({ seq, epoch: name, v: 2 }));
    write(
      ...epoch('e1', [0, 1, 2, 5, 6]),
      ...epoch('e2', [10, 12]),
      telemetry({ seq: 3 }),
      telemetry({ seq: 90 }),
    );
    expect(store.delivery('pi-1')).toEqual({ received: 9, lost: 2 + 1, conflicts: 0 });
    write(...epoch('e1', [3, 4]));
    expect(store.delivery('pi-1')).toEqual({ received: 11, lost: 1, conflicts: 0 });
    expect(store.delivery('pi-9')).toEqual({ received: 0, lost: 0, conflicts: 0 });
    expect([...store.allDelivery()]).toEqual([['pi-1', { received: 11, lost: 1, conflicts: 0 }]]);
  });

  it('returns the most recent readings by trusted_at, oldest first, of all devices or one', () => {
    store = openStore(dir.path);
    const one = readings('pi-1', 5, '2025-03-01T00:00:00Z', 2000);
    const two = readings('pi-2', 5, '2025-03-01T00:00:01Z', 2000);
    write(...two, ...one);
    // pi-1 at 0, 2, 4, 6, 8 s; pi-2 at 1, 3, 5, 7, 9 s.
    const s = (list: Telemetry[]) => list.map((r) => stored(r));
    expect(store.recent({ limit: 4 })).toEqual(s([one[3], two[3], one[4], two[4]] as Telemetry[]));
    expect(store.recent({ limit: 3, deviceId: 'pi-1' })).toEqual(s(one.slice(2)));
    expect(store.recent({ limit: 100, deviceId: 'pi-2' })).toEqual(s(two));
  });

  it('thins a long range to the newest reading of each time bucket, oldest first; a short one comes whole', () => {
    store = openStore(dir.path);
    const all = readings('pi-1', 100, '2025-03-01T00:00:00Z');
    write(...all);
    const range = (query: { from?: number; to?: number; limit: number }, deviceId = 'pi-1') =>
      store.history({ deviceId, form: 'readings', ...query }).readings;
    // 100 s in at most 10 buckets: 10 s each, the newest reading of each.
    expect(range({ limit: 10 }).map((r) => r.seq)).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
    // A range with fewer readings than the limit comes whole; bounds are inclusive.
    const from = Date.parse('2025-03-01T00:00:10Z');
    const to = Date.parse('2025-03-01T00:00:14Z');
    expect(range({ from, to, limit: 10 })).toEqual(all.slice(10, 15).map((r) => stored(r)));
    expect(range({ limit: 10 }, 'pi-2')).toEqual([]);
  });

  it('writes nothing of a transaction that throws', () => {
    store = openStore(dir.path);
    expect(() =>
      store.transaction(() => {
        store.writeReading(stored(telemetry({ seq: 1 })));
        throw new Error('half way');
      }),
    ).toThrow('half way');
    expect(store.recent({ limit: 10 })).toEqual([]);
    expect(store.delivery('pi-1').received).toBe(0);
  });

  it('keeps telemetry, delivery figures and the device registry across a reopen', () => {
    store = openStore(dir.path);
    const saved = readings('pi-1', 3, '2025-03-01T00:00:00Z');
    write(...saved);
    const record = {
      ...newRecord('pi-1', 1000),
      last_seen: 2000,
      status: onlineStatus('pi-1'),
      latest: stored(saved[2] as Telemetry),
      availability: 'online' as const,
    };
    store.saveDevices([record]);
    store.close();

    store = openStore(dir.path);
    expect(store.recent({ limit: 10 }).map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(store.loadDevices()).toEqual([record]);
    expect(store.delivery('pi-1').received).toBe(3);
    const other = new Database(dbPath(), { readonly: true });
    expect(other.pragma('user_version', { simple: true })).toBe(2);
    other.close();
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
  const write = (list: Telemetry[], receivedIso?: string) =>
    store.transaction(() => {
      for (const reading of list) store.writeReading(stored(reading, receivedIso));
    });

  it('removes readings filed more than HISTORY_DAYS ago by the injected clock, at start and on each run; the delivery figures stay', async () => {
    const clock = new ManualClock(Date.parse('2025-03-31T00:00:00Z'));
    const at = (daysAgo: number, seq: number) =>
      telemetry({
        seq,
        epoch: 'e1',
        timestamp: new Date(clock.now().getTime() - daysAgo * DAY).toISOString(),
      });
    write([at(31, 0), at(29.5, 1), at(10, 2), at(0, 3)], '2025-03-31T00:00:00Z');
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
    // Purged readings were received, not lost.
    expect(store.delivery('pi-1')).toEqual({ received: 4, lost: 0, conflicts: 0 });
    await job.stop();
  });

  it('removes more rows than one delete chunk', async () => {
    const clock = new ManualClock(Date.parse('2025-06-01T00:00:00Z'));
    write(readings('pi-1', 6_000, '2025-01-01T00:00:00Z'), '2025-06-01T00:00:00Z');
    write([telemetry({ seq: 20_000, timestamp: '2025-05-31T00:00:00Z' })], '2025-06-01T00:00:00Z');
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
