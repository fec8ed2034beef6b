import type { StoredReading } from '@fleet/dashboard';
import { expect, it } from 'vitest';
import { PgReadingStore } from '../../src/storage/postgres/pg-store.js';
import { createPool } from '../../src/storage/postgres/pool.js';
import { capturingLogger, quietLogger, stored, telemetry } from '../server/fixtures.js';
import { describeWithPostgres, timescaleMissing } from '../support/postgres-server.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2025-03-01T00:00:00.000Z');
const missing = timescaleMissing();

const reading = (seq: number, at: number, overrides: Parameters<typeof telemetry>[0] = {}) =>
  stored(
    telemetry({
      v: 2,
      epoch: 'e1',
      clock_synced: true,
      seq,
      timestamp: new Date(at).toISOString(),
      temperature: 10 + seq,
      ...overrides,
    }),
    new Date(at).toISOString(),
  );
const item = (r: StoredReading) => ({
  reading: r,
  trustedAt: Date.parse(r.trusted_at),
  receivedAt: Date.parse(r.received_at),
});
/** Two hours at one reading a minute, seq 0 … 119. */
const twoHours = () => Array.from({ length: 120 }, (_, i) => item(reading(i, T0 + i * MINUTE)));

/**
 * Compresses each chunk of the hypertable not compressed yet. A chunk that TimescaleDB's policy job compresses
 * between the list and the call is refused with "already compressed": that is the state wanted, so it passes.
 */
async function compressEveryChunk(pool: ReturnType<typeof createPool>): Promise<void> {
  const chunks = await pool.query<{ chunk: string }>(
    "SELECT c::text AS chunk FROM show_chunks('telemetry') c",
  );
  for (const { chunk } of chunks.rows) {
    try {
      await pool.query('SELECT compress_chunk($1::regclass, if_not_compressed => true)', [chunk]);
    } catch (error) {
      if (!/already compressed/.test(String(error))) throw error;
    }
  }
}

/** What is particular to the TimescaleDB layout; the storage contract suite runs on it too (engines.ts). */
describeWithPostgres(
  'PostgreSQL + TimescaleDB: the layout, its conversion and the start-up line',
  missing,
  (server) => {
    it('converts a plain database with readings once, replicas starting together, and says TimescaleDB and its version', async () => {
      const url = await server().createDatabase();
      const plain = new PgReadingStore({ url, logger: quietLogger(), poolSize: 2, timescale: false });
      await plain.open();
      expect(plain.layout).toBe('plain');
      await plain.writeReadings(twoHours());
      await plain.close();

      const logs = [capturingLogger('info'), capturingLogger('info')];
      const [a, b] = logs.map(({ logger }) => new PgReadingStore({ url, logger, poolSize: 2 })) as [
        PgReadingStore,
        PgReadingStore,
      ];
      await Promise.all([a.open(), b.open()]);
      const pool = createPool(url, 1);
      const { rows: ext } = await pool.query<{ extversion: string }>(
        "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
      );
      const version = ext[0]?.extversion;
      const said = logs.map(({ lines }) =>
        lines.find((line) => String(line.msg).startsWith('Readings stored in')),
      );
      expect(said.map((line) => line?.msg)).toEqual([
        `Readings stored in TimescaleDB ${version}: hypertable, compression, continuous aggregates`,
        `Readings stored in TimescaleDB ${version}: hypertable, compression, continuous aggregates`,
      ]);
      expect(said.map((line) => line?.converted).sort()).toEqual([false, true]);
      expect([a.layout, b.layout]).toEqual(['timescale', 'timescale']);

      // What the plain layout held is there: identities (a redelivery is a duplicate), figures, buckets.
      expect((await b.writeReadings([item(reading(5, T0 + 5 * MINUTE))])).map((o) => o.kind)).toEqual([
        'duplicate',
      ]);
      expect((await a.deliveryOf(['pi-1'])).get('pi-1')).toEqual({ received: 120, lost: 0, conflicts: 0 });
      const hours = await a.history({
        deviceId: 'pi-1',
        from: T0,
        to: T0 + 2 * HOUR - 1,
        limit: 2,
        form: 'buckets',
      });
      expect(
        hours.buckets.map((bucket) => [bucket.n, bucket.temperature.min, bucket.temperature.max]),
      ).toEqual([
        [60, 10, 69],
        [60, 70, 129],
      ]);
      const parts = await pool.query<{ what: string }>(
        `SELECT 'hypertable ' || hypertable_name AS what FROM timescaledb_information.hypertables
        WHERE hypertable_schema = 'public'
       UNION ALL SELECT 'aggregate ' || view_name FROM timescaledb_information.continuous_aggregates
       UNION ALL SELECT 'job ' || proc_name || ' ' || hypertable_name FROM timescaledb_information.jobs
        WHERE proc_name IN ('policy_compression', 'policy_refresh_continuous_aggregate')
          AND hypertable_name = 'telemetry'
       UNION ALL SELECT 'segmented by ' || attname FROM timescaledb_information.compression_settings
        WHERE hypertable_name = 'telemetry' AND segmentby_column_index IS NOT NULL
       ORDER BY 1`,
      );
      expect(parts.rows.map((row) => row.what)).toEqual([
        'aggregate cagg_10min',
        'aggregate cagg_hour',
        'aggregate cagg_minute',
        'hypertable telemetry',
        'job policy_compression telemetry',
        'segmented by device_id',
      ]);
      const refreshJobs = await pool.query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'",
      );
      expect(refreshJobs.rows[0]?.n).toBe(3);
      await Promise.all([a.close(), b.close()]);

      // Once converted, a database stays on TimescaleDB even for a store that would rather not use it.
      const again = new PgReadingStore({ url, logger: quietLogger(), poolSize: 1, timescale: false });
      await again.open();
      expect(again.layout).toBe('timescale');
      await again.close();
      await pool.end();
    });

    it('a late reading into a compressed chunk and a re-stamp out of one land in the right buckets, each once', async () => {
      const url = await server().createDatabase();
      const store = new PgReadingStore({ url, logger: quietLogger(), poolSize: 2 });
      await store.open();
      await store.writeReadings(twoHours());
      const unsynced = reading(900, T0 + 90 * MINUTE, {
        clock_synced: false,
        timestamp: '2024-01-01T00:00:00.000Z',
      });
      await store.writeReadings([item(unsynced)]);
      const hours = async () =>
        (
          await store.history({
            deviceId: 'pi-1',
            from: T0,
            to: T0 + 2 * HOUR - 1,
            limit: 2,
            form: 'buckets',
          })
        ).buckets.map((bucket) => [bucket.n, bucket.temperature.min, bucket.temperature.max]);
      expect(await hours()).toEqual([
        [60, 10, 69],
        [61, 70, 910],
      ]);
      const pool = createPool(url, 1);
      // Every chunk compressed. TimescaleDB's own policy may compress them too, before or while this runs (these
      // readings are from 2025, older than its 7 days): `if_not_compressed` covers a chunk it compressed before,
      // and a chunk it compresses meanwhile is refused with "already compressed" (CI met it once).
      await compressEveryChunk(pool);
      const chunks = await pool.query<{ compressed: boolean }>(
        "SELECT is_compressed AS compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'telemetry'",
      );
      expect(chunks.rows.length).toBeGreaterThan(0);
      expect(chunks.rows.every((chunk) => chunk.compressed)).toBe(true);

      const late = reading(500, T0 + 30 * MINUTE + 1000, { temperature: -5 });
      expect((await store.writeReadings([item(late), item(late)])).map((o) => o.kind)).toEqual([
        'stored',
        'duplicate',
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
      expect(await hours()).toEqual([
        [62, -5, 910],
        [60, 70, 129],
      ]);
      // Filed once, under its new time: the identity and the hypertable agree.
      const found = await pool.query<{ trusted_at: number }>(
        `SELECT t.trusted_at FROM telemetry t JOIN reading_identity i USING (device_id, epoch, seq, trusted_at)
       WHERE seq = 900`,
      );
      expect(found.rows).toEqual([{ trusted_at: T0 + 10 * MINUTE + 5 }]);
      expect((await store.deliveryOf(['pi-1'])).get('pi-1')).toEqual({
        received: 122,
        lost: 779,
        conflicts: 0,
      });
      await pool.end();
      await store.close();
    });

    it('a history read waits for a refresh of its buckets under way, instead of failing', async () => {
      const url = await server().createDatabase();
      const store = new PgReadingStore({ url, logger: quietLogger(), poolSize: 2 });
      await store.open();
      await store.writeReadings(twoHours());
      const pool = createPool(url, 2);
      const other = await pool.connect();
      try {
        // Another session's refresh of the hour aggregate over the whole range, as TimescaleDB registers it
        // while it runs (a live backend's pid): an overlapping refresh is refused at once with 55P03.
        const { rows } = await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await other.query(
          `INSERT INTO _timescaledb_catalog.continuous_aggs_jobs_refresh_ranges
           (materialization_id, start_range, end_range, pid, job_id, created_at)
         SELECT mat_hypertable_id, 0, 9223372036854775807, $1, 0, now()
           FROM _timescaledb_catalog.continuous_agg WHERE user_view_name = 'cagg_hour'`,
          [rows[0]?.pid],
        );
        const reading = store.history({
          deviceId: 'pi-1',
          from: T0,
          to: T0 + 2 * HOUR - 1,
          limit: 2,
          form: 'buckets',
        });
        let answered = false;
        void reading.then(
          () => {
            answered = true;
          },
          () => {
            answered = true;
          },
        );
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(answered, 'answered while the other refresh was under way').toBe(false);
        await other.query(
          `DELETE FROM _timescaledb_catalog.continuous_aggs_jobs_refresh_ranges WHERE pid = pg_backend_pid()`,
        );
        const hours = await reading;
        expect(hours.buckets.map((bucket) => bucket.n)).toEqual([60, 60]);
      } finally {
        other.release();
        await pool.end();
        await store.close();
      }
    });
  },
);
