import type pg from 'pg';
import type { RollupStep } from '../rollups.js';
import type { PgLayout } from './layout.js';
import { ROLLUP_LOCK } from './pg-rollups.js';
import { checkOut, inTransaction } from './pool.js';
import { CAGGS } from './timescale-schema.js';
import { TIMESCALE_STATEMENTS } from './timescale-writes.js';

const IDENTITY_CHUNK = 5000;
const NOTHING: RollupStep = { merged: 0, recomputed: 0, pending: 0 };

/** PostgreSQL's lock_not_available: TimescaleDB refuses a refresh whose window overlaps one under way. */
const CONCURRENT_REFRESH = '55P03';
/** How long a refresh waits, in all, for an overlapping one to end (they take tens of milliseconds). */
const CONCURRENT_WAIT_MS = 5000;

/**
 * Refreshes one aggregate over [start, end). Another refresh of an overlapping window under way (the rollup
 * job of this or another replica, a history read, TimescaleDB's own policy) makes TimescaleDB refuse at once
 * rather than wait; this waits for it and tries again, so that a history read is not answered with an error.
 */
async function refreshOnce(
  client: pg.Pool | pg.ClientBase,
  name: string,
  start: number,
  end: number | null,
): Promise<void> {
  const deadline = Date.now() + CONCURRENT_WAIT_MS;
  for (let delay = 20; ; delay = Math.min(delay * 2, 250)) {
    try {
      await client.query(`CALL refresh_continuous_aggregate('${name}', $1::bigint, $2::bigint)`, [
        start,
        end,
      ]);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== CONCURRENT_REFRESH || Date.now() + delay > deadline)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

const floorTo = (at: number, width: number) => Math.floor(at / width) * width;
const ceilTo = (at: number, width: number) => Math.ceil(at / width) * width;

/**
 * The rollups and retention of the TimescaleDB layout (timescale-schema.ts). The chart buckets are continuous
 * aggregates over the hypertable: TimescaleDB records the time ranges that inserts, deletes and re-stamps
 * change below each aggregate's watermark (its invalidation log), and a refresh computes again the buckets
 * of those ranges, so a late or re-stamped reading lands in its bucket at the next refresh. Refreshes here
 * (the rollup job's, and before a history read the one aggregate it reads, over its range: read your writes)
 * never reach back
 * before the last retention cutoff, where a refresh would empty the buckets of the readings removed.
 */
export class TimescaleRollups implements PgLayout {
  readonly statements = TIMESCALE_STATEMENTS;
  readonly tables = { minute: 'cagg_minute', ten: 'cagg_10min', hour: 'cagg_hour' } as const;
  /** Each aggregate's materialization hypertable (what retention and forgetting delete from). */
  private materialized = new Map<string, string>();

  constructor(private readonly pool: pg.Pool) {}

  async open(): Promise<void> {
    const { rows } = await this.pool.query<{ view: string; hypertable: string }>(
      `SELECT view_name AS view,
              format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) AS hypertable
       FROM timescaledb_information.continuous_aggregates`,
    );
    this.materialized = new Map(rows.map((row) => [row.view, row.hypertable]));
  }

  async rawFrom(client: pg.Pool | pg.ClientBase = this.pool): Promise<number> {
    const { rows } = await client.query<{ value: number }>(
      "SELECT value FROM rollup_state WHERE name = 'raw_from'",
    );
    return rows[0]?.value ?? 0;
  }

  /** Refreshes every aggregate from the last retention cutoff on; one replica at a time (the others skip). */
  async step(): Promise<RollupStep> {
    const client = await checkOut(this.pool);
    try {
      const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        ROLLUP_LOCK,
      ]);
      if (!locked.rows[0]?.ok) return NOTHING;
      try {
        await this.refresh(client, await this.rawFrom(client), null);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [ROLLUP_LOCK]);
      }
      return NOTHING;
    } finally {
      client.release();
    }
  }

  /** Nothing: each history read refreshes the buckets it reads (refreshBuckets). */
  async catchUp(): Promise<void> {}

  /** Refreshes the one aggregate a history read takes its buckets from, over the buckets touching [from, to]. */
  async refreshBuckets(source: keyof typeof this.tables, from: number, to: number): Promise<void> {
    const name = this.tables[source];
    await this.refresh(
      this.pool,
      from,
      to,
      CAGGS.filter((cagg) => cagg.name === name),
    );
  }

  /**
   * Refreshes the aggregates (all by default, finest first) over the buckets touching [from, to] (to null: up
   * to the newest), none of them starting before the last retention cutoff.
   */
  private async refresh(
    client: pg.Pool | pg.ClientBase,
    from: number,
    to: number | null,
    caggs: ReadonlyArray<(typeof CAGGS)[number]> = CAGGS,
  ): Promise<void> {
    const rawFrom = await this.rawFrom(client);
    for (const { name, width } of caggs) {
      const start = Math.max(floorTo(from, width), ceilTo(rawFrom, width));
      const end = to === null ? null : floorTo(to, width) + width;
      if (end !== null && end - start < width) continue;
      await refreshOnce(client, name, start, end);
    }
  }

  /**
   * Removes the readings filed before `cutoff` after refreshing the aggregates (their hour buckets stay): the
   * chunks wholly before it dropped, the rest of its day deleted, and their identities.
   */
  async deleteOlderThan(cutoff: number): Promise<number> {
    await this.step();
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [ROLLUP_LOCK]);
      await client.query(
        `INSERT INTO rollup_state (name, value) VALUES ('raw_from', $1)
         ON CONFLICT (name) DO UPDATE SET value = GREATEST(rollup_state.value, excluded.value)`,
        [cutoff],
      );
    });
    const removed = await this.trim('telemetry', 'telemetry', 'trusted_at', cutoff);
    for (;;) {
      const result = await this.pool.query(
        `DELETE FROM reading_identity WHERE ctid IN (
           SELECT ctid FROM reading_identity WHERE trusted_at < $1 LIMIT $2)`,
        [cutoff, IDENTITY_CHUNK],
      );
      if ((result.rowCount ?? 0) < IDENTITY_CHUNK) return removed;
    }
  }

  /** Removes minute and ten-minute buckets wholly before `rawCutoff`, hour buckets wholly before `rollupCutoff`. */
  async deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number> {
    let removed = 0;
    for (const { name, width } of CAGGS) {
      const cutoff = (name === 'cagg_hour' ? rollupCutoff : rawCutoff) - width + 1;
      removed += await this.trim(name, this.hypertableOf(name), 'bucket', cutoff);
    }
    return removed;
  }

  /**
   * Removes the rows of `relation` (a hypertable, or an aggregate's materialization `table`) whose `column` is
   * before `cutoff`: whole chunks by drop_chunks, then the rest by DELETE; resolves to the rows removed.
   */
  private async trim(relation: string, table: string, column: string, cutoff: number): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} < $1`,
      [cutoff],
    );
    await this.pool.query('SELECT drop_chunks($1, older_than => $2::bigint)', [relation, cutoff]);
    await this.pool.query(`DELETE FROM ${table} WHERE ${column} < $1`, [cutoff]);
    return rows[0]?.n ?? 0;
  }

  async forgetRollups(client: pg.ClientBase, deviceId: string): Promise<void> {
    for (const { name } of CAGGS) {
      await client.query(`DELETE FROM ${this.hypertableOf(name)} WHERE device_id = $1`, [deviceId]);
    }
  }

  async deleteReadingsChunk(deviceId: string, upTo: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `WITH gone AS (
         DELETE FROM telemetry WHERE device_id = $1 AND row_id IN (
           SELECT row_id FROM telemetry WHERE device_id = $1 AND received_at <= $2 LIMIT $3)
         RETURNING device_id, epoch, seq)
       DELETE FROM reading_identity i USING gone g
       WHERE i.device_id = g.device_id AND i.epoch = g.epoch AND i.seq = g.seq`,
      [deviceId, upTo, limit],
    );
    return result.rowCount ?? 0;
  }

  private hypertableOf(cagg: string): string {
    const table = this.materialized.get(cagg);
    if (!table) throw new Error(`The continuous aggregate ${cagg} is missing from this database.`);
    return table;
  }
}
