import type pg from 'pg';
import { HOUR_MS, MINUTE_MS, ROLLUP_COLUMNS, TEN_MINUTES_MS } from '../rollup-schema.js';
import type { RollupStep } from '../rollups.js';
import { PG_RAW_AGGREGATES, PG_ROLLUP_AGGREGATES } from './aggregates.js';
import { inTransaction } from './pool.js';

/** The advisory lock of the rollups ("rollup" in ASCII): one replica computes them at a time. */
export const ROLLUP_LOCK = 0x726f6c6c7570;
const DELETE_CHUNK = 5000;

/**
 * Takes marked buckets in the order the ingest marks them (device id by code unit, then time: see
 * writeReadingsPg), so that the two never wait for each other's rows crosswise (a deadlock).
 */
const TAKE_SQL = `
DELETE FROM rollup_pending WHERE (device_id, bucket) IN (
  SELECT device_id, bucket FROM rollup_pending ORDER BY device_id COLLATE "C", bucket LIMIT $1 FOR UPDATE)
RETURNING device_id, bucket`;

const TAKEN = 'SELECT * FROM unnest($1::text[], $2::bigint[]) AS taken (d, b)';
const dropBuckets = (table: string) =>
  `DELETE FROM ${table} r USING (${TAKEN}) t WHERE r.device_id = t.d AND r.bucket = t.b`;
const RECOMPUTE_MINUTES_SQL = `
INSERT INTO rollup_minute (${ROLLUP_COLUMNS})
SELECT x.device_id, t.b, ${PG_RAW_AGGREGATES}
FROM (${TAKEN}) t JOIN telemetry x ON x.device_id = t.d AND x.trusted_at >= t.b AND x.trusted_at < t.b + ${MINUTE_MS}
GROUP BY x.device_id, t.b`;
const recomputeFromMinutes = (table: string, width: number) => `
INSERT INTO ${table} (${ROLLUP_COLUMNS})
SELECT m.device_id, t.b, ${PG_ROLLUP_AGGREGATES}
FROM (${TAKEN}) t JOIN rollup_minute m ON m.device_id = t.d AND m.bucket >= t.b AND m.bucket < t.b + ${width}
GROUP BY m.device_id, t.b`;

/**
 * The minute, ten-minute and hour rollups on PostgreSQL, kept by the dashboard (no TimescaleDB): the ingest
 * marks the minute buckets its readings fall in (rollup_pending, in the readings' transaction; a re-stamped
 * reading marks its old and new minute), and a step takes some marked buckets and computes them again from
 * the raw readings, then their ten minutes and hours from the minutes. Computing a bucket again from its
 * rows (not adding new rows to it) makes a step safe to repeat, and needs no watermark over row ids, which
 * PostgreSQL does not commit in order. One replica at a time (an advisory lock); a bucket before the last
 * retention cutoff is not computed again (its raw readings are gone), as in SQLite.
 */
export class PgRollups {
  constructor(private readonly pool: pg.Pool) {}

  async rawFrom(client: pg.Pool | pg.ClientBase = this.pool): Promise<number> {
    const { rows } = await client.query<{ value: number }>(
      "SELECT value FROM rollup_state WHERE name = 'raw_from'",
    );
    return rows[0]?.value ?? 0;
  }

  /** Computes again at most `maxBuckets` marked minute buckets and their coarser buckets, in one transaction. */
  step(maxBuckets: number): Promise<RollupStep> {
    return inTransaction(this.pool, async (client) => {
      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
        ROLLUP_LOCK,
      ]);
      if (!locked.rows[0]?.ok) return { merged: 0, recomputed: 0, pending: 0 };
      const taken = await client.query<{ device_id: string; bucket: number }>(TAKE_SQL, [maxBuckets]);
      const rawFrom = await this.rawFrom(client);
      const minutes = taken.rows.filter((row) => row.bucket >= rawFrom);
      if (minutes.length > 0) {
        const args = [minutes.map((r) => r.device_id), minutes.map((r) => r.bucket)];
        await client.query(dropBuckets('rollup_minute'), args);
        await client.query(RECOMPUTE_MINUTES_SQL, args);
        for (const [table, width] of [
          ['rollup_10min', TEN_MINUTES_MS],
          ['rollup_hour', HOUR_MS],
        ] as const) {
          const coarser = new Map<string, { device: string; bucket: number }>();
          for (const { device_id: device, bucket } of minutes) {
            const start = Math.floor(bucket / width) * width;
            if (start >= rawFrom) coarser.set(`${device}\n${start}`, { device, bucket: start });
          }
          const coarse = [
            [...coarser.values()].map((c) => c.device),
            [...coarser.values()].map((c) => c.bucket),
          ];
          await client.query(dropBuckets(table), coarse);
          await client.query(recomputeFromMinutes(table, width), coarse);
        }
      }
      const left = await client.query<{ n: number }>('SELECT COUNT(*) AS n FROM rollup_pending');
      return { merged: taken.rows.length, recomputed: minutes.length, pending: left.rows[0]?.n ?? 0 };
    });
  }

  /** Steps until no bucket is marked (or `maxSteps` were made); true when caught up. */
  async catchUp(batch: number, maxSteps = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (let steps = 0; steps < maxSteps; steps++) {
      const step = await this.step(batch);
      if (step.pending === 0) return true;
      if (step.merged === 0) return false; // another replica holds the lock
    }
    return false;
  }

  /**
   * Removes the readings filed before `cutoff`, a chunk per transaction, after the buckets marked so far are
   * rolled up (their hour rollups stay); records `cutoff` as the start of the whole raw history.
   */
  async deleteOlderThan(cutoff: number): Promise<number> {
    await this.catchUp(1000);
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_LOCK]);
      await client.query(
        `INSERT INTO rollup_state (name, value) VALUES ('raw_from', $1)
         ON CONFLICT (name) DO UPDATE SET value = GREATEST(rollup_state.value, excluded.value)`,
        [cutoff],
      );
    });
    let removed = 0;
    for (;;) {
      const result = await this.pool.query(
        'DELETE FROM telemetry WHERE ctid IN (SELECT ctid FROM telemetry WHERE trusted_at < $1 LIMIT $2)',
        [cutoff, DELETE_CHUNK],
      );
      removed += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < DELETE_CHUNK) return removed;
    }
  }

  /** Removes minute and ten-minute rollups wholly before `rawCutoff`, hour rollups wholly before `rollupCutoff`. */
  async deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number> {
    let removed = 0;
    for (const [table, cutoff, width] of [
      ['rollup_minute', rawCutoff, MINUTE_MS],
      ['rollup_10min', rawCutoff, TEN_MINUTES_MS],
      ['rollup_hour', rollupCutoff, HOUR_MS],
    ] as const) {
      const result = await this.pool.query(`DELETE FROM ${table} WHERE bucket <= $1`, [cutoff - width]);
      removed += result.rowCount ?? 0;
    }
    return removed;
  }
}
