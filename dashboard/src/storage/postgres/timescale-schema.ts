import type pg from 'pg';
import { HOUR_MS, MINUTE_MS, TEN_MINUTES_MS } from '../rollup-schema.js';
import { PG_RAW_AGGREGATES } from './aggregates.js';
import { MIGRATION_LOCK } from './migrations.js';
import { inTransaction } from './pool.js';

const DAY_MS = 86_400_000;
/** The hypertable's chunks: one day of trusted_at each (what retention drops whole). */
export const CHUNK_MS = DAY_MS;
/**
 * Chunks of readings filed more than 7 days ago are compressed: the production broker keeps a session's held
 * readings 7 days at most (README, "Replicas"), so later writes into them (late or re-stamped readings, which
 * TimescaleDB accepts into compressed chunks, only slower) are rare.
 */
export const COMPRESS_AFTER_MS = 7 * DAY_MS;
/**
 * TimescaleDB's own refresh of the continuous aggregates covers the last day only: HISTORY_DAYS is at least 1,
 * so its window never reaches back before the retention cutoff, where a refresh would empty the rollups of the
 * readings removed. Older late readings are refreshed by the dashboard's rollup job (TimescaleRollups).
 */
export const POLICY_WINDOW_MS = DAY_MS;

/** The chart buckets as continuous aggregates, finest first: name and width (ms). */
export const CAGGS = [
  { name: 'cagg_minute', width: MINUTE_MS },
  { name: 'cagg_10min', width: TEN_MINUTES_MS },
  { name: 'cagg_hour', width: HOUR_MS },
] as const;

const caggSql = (name: string, width: number) => `
CREATE MATERIALIZED VIEW ${name} WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS
SELECT device_id, time_bucket(${width}::bigint, trusted_at) AS bucket, ${PG_RAW_AGGREGATES}
FROM telemetry GROUP BY device_id, time_bucket(${width}::bigint, trusted_at)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('${name}', start_offset => ${POLICY_WINDOW_MS}::bigint,
  end_offset => NULL, schedule_interval => INTERVAL '${width === MINUTE_MS ? '1 minute' : '10 minutes'}');`;

/**
 * The TimescaleDB layout, made from the plain one (migration 1) in one transaction: the identity of each
 * reading moves to reading_identity, a plain table (a hypertable's unique keys must hold its time column);
 * telemetry becomes a hypertable on trusted_at (the time charts bucket by), its rows migrated, compressed by
 * device after COMPRESS_AFTER_MS; the rollup tables give way to continuous aggregates over it.
 */
export const TIMESCALE_LAYOUT_SQL = `
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE TABLE reading_identity (
  device_id  text   NOT NULL,
  epoch      text   NOT NULL,
  seq        bigint NOT NULL,
  trusted_at bigint NOT NULL, -- where its reading is filed in telemetry
  PRIMARY KEY (device_id, epoch, seq)
);
INSERT INTO reading_identity SELECT device_id, epoch, seq, trusted_at FROM telemetry;
CREATE INDEX reading_identity_trusted ON reading_identity (trusted_at);
ALTER TABLE telemetry DROP CONSTRAINT telemetry_pkey;
DROP INDEX telemetry_trusted;
SELECT create_hypertable('telemetry', by_range('trusted_at', ${CHUNK_MS}::bigint), migrate_data => true);
CREATE FUNCTION fleet_now_ms() RETURNS bigint LANGUAGE sql STABLE AS
  $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$;
SELECT set_integer_now_func('telemetry', 'fleet_now_ms');
ALTER TABLE telemetry SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id',
  timescaledb.compress_orderby = 'trusted_at, row_id');
SELECT add_compression_policy('telemetry', compress_after => ${COMPRESS_AFTER_MS}::bigint);
${CAGGS.map(({ name, width }) => caggSql(name, width)).join('\n')}
-- The rollup tables and marks of the plain layout: what they held is computed again by the first refresh.
DROP TABLE rollup_minute, rollup_10min, rollup_hour, rollup_pending;
`;

export type TimescaleOutcome =
  | { used: true; version: string; converted: boolean }
  | { used: false; reason: string };

/** Whether the database already has the TimescaleDB layout (reading_identity exists). */
export async function hasTimescaleLayout(client: pg.Pool | pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ found: string | null }>(
    "SELECT to_regclass('reading_identity')::text AS found",
  );
  return rows[0]?.found != null;
}

/**
 * Converts the database to the TimescaleDB layout once, under the migrations' advisory lock (replicas starting
 * together: one converts, the others find it done). A failure (the extension not preloaded, no right to create
 * it) rolls everything back and leaves the plain layout, with the reason.
 */
export async function enableTimescale(pool: pg.Pool): Promise<TimescaleOutcome> {
  try {
    return await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const converted = !(await hasTimescaleLayout(client));
      if (converted) await client.query(TIMESCALE_LAYOUT_SQL);
      return { used: true, version: await timescaleVersion(client), converted } as const;
    });
  } catch (error) {
    return { used: false, reason: (error as Error).message };
  }
}

/** The version of the TimescaleDB extension created in this database. */
export async function timescaleVersion(client: pg.Pool | pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'",
  );
  return rows[0]?.extversion ?? 'unknown';
}
