import { expect, it } from 'vitest';
import { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import type { ReadingToWrite } from '../../src/storage/reading-writer.js';
import { quietLogger, stored, telemetry } from '../server/fixtures.js';
import { describeWithPostgres, postgresMissing } from '../support/postgres-server.js';

const missing = postgresMissing();

/** `count` readings of each device, seq from 0, one a second. */
function readings(devices: string[], count: number): ReadingToWrite[] {
  const t0 = Date.parse('2025-03-01T00:00:00.000Z');
  return devices.flatMap((device_id) =>
    Array.from({ length: count }, (_, seq) => {
      const at = new Date(t0 + seq * 1000).toISOString();
      const reading = stored(
        telemetry({ v: 2, device_id, epoch: 'e1', clock_synced: true, seq, timestamp: at }),
        at,
      );
      return {
        reading,
        trustedAt: Date.parse(reading.trusted_at),
        receivedAt: Date.parse(reading.received_at),
      };
    }),
  );
}

const shuffled = <T>(items: T[], seed: number): T[] => {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

describeWithPostgres('PostgreSQL storage: replicas writing at once', missing, (server) => {
  it('two replicas storing overlapping groups at once (redeliveries to the other) store each reading once, and roll up together', async () => {
    const url = await server().createDatabase();
    const [a, b] = [1, 2].map(() => new PgReadingStore({ url, logger: quietLogger(), poolSize: 4 })) as [
      PgReadingStore,
      PgReadingStore,
    ];
    await Promise.all([a.open(), b.open()]);
    const all = readings(['pi-1', 'pi-2', 'pi-3', 'pi-4'], 500);
    // Each replica gets every reading, in its own order, in groups of 250, written concurrently with the other's.
    const groups = (items: ReadingToWrite[]) =>
      Array.from({ length: items.length / 250 }, (_, i) => items.slice(i * 250, (i + 1) * 250));
    const run = async (store: PgReadingStore, items: ReadingToWrite[]) => {
      const kinds: string[] = [];
      for (const group of groups(items)) kinds.push(...(await store.writeReadings(group)).map((o) => o.kind));
      return kinds;
    };
    const rolling = (async () => {
      for (let i = 0; i < 20; i++) await Promise.all([a.rollUp(100), b.rollUp(100)]);
    })();
    const [kindsA, kindsB] = await Promise.all([run(a, shuffled(all, 1)), run(b, shuffled(all, 2))]);
    await rolling;
    const stored = [...kindsA, ...kindsB].filter((k) => k === 'stored').length;
    const duplicates = [...kindsA, ...kindsB].filter((k) => k === 'duplicate').length;
    expect([stored, duplicates]).toEqual([2000, 2000]);
    expect(await a.deliveryTotals()).toEqual({ received: 2000, lost: 0, conflicts: 0 });
    // The rollups, kept by whichever replica held the lock, count each reading once.
    const answer = await b.history({ deviceId: 'pi-3', limit: 1, form: 'buckets' });
    expect(answer.buckets.map((bucket) => bucket.n)).toEqual([500]);
    await Promise.all([a.close(), b.close()]);
  });
});
