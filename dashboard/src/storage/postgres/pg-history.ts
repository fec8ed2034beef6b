import type pg from 'pg';

import { type BucketRow, bucketSource, bucketWidth, toBucket } from '../buckets.js';
import type { HistoryAnswer, HistoryQuery } from '../history-store.js';
import { HOUR_MS, MINUTE_MS } from '../rollup-schema.js';
import { type TelemetryRow, telemetryFromRow } from '../rows.js';
import { TELEMETRY_COLUMNS } from '../schema.js';
import { RAW_SCAN_MAX } from '../sqlite-history.js';
import { PG_RAW_AGGREGATES, PG_ROLLUP_AGGREGATES } from './aggregates.js';
import type { PgLayout } from './layout.js';

const RANGE = 'device_id = $1 AND trusted_at BETWEEN $2 AND $3';
const SQL = {
  rawBounds: 'SELECT MIN(trusted_at) AS lo, MAX(trusted_at) AS hi FROM telemetry WHERE device_id = $1',
  hourBounds: (table: string) =>
    `SELECT MIN(bucket) AS lo, MAX(bucket) AS hi FROM ${table} WHERE device_id = $1`,
  countRaw: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM telemetry WHERE ${RANGE} LIMIT $4) s`,
  raw: `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE ${RANGE} ORDER BY trusted_at, received_at, seq`,
  newestIn: `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = $1 AND trusted_at >= $2 AND trusted_at < $3
    ORDER BY trusted_at DESC, row_id DESC LIMIT 1`,
  fromRaw: `SELECT (trusted_at / $4::bigint) * $4::bigint AS start, ${PG_RAW_AGGREGATES}
    FROM telemetry WHERE ${RANGE} GROUP BY start ORDER BY start`,
  newestPerBucket: `SELECT DISTINCT ON (trusted_at / $4::bigint) ${TELEMETRY_COLUMNS} FROM telemetry WHERE ${RANGE}
    ORDER BY trusted_at / $4::bigint, trusted_at DESC, row_id DESC`,
  fromRollup: (table: string) => `SELECT (bucket / $4::bigint) * $4::bigint AS start, ${PG_ROLLUP_AGGREGATES}
    FROM ${table} WHERE device_id = $1 AND bucket BETWEEN $2 AND $3 GROUP BY start ORDER BY start`,
};

/**
 * One device's history from PostgreSQL, by the same rules as SqliteHistory (a range of at most `limit`
 * readings whole, a longer one in at most `limit` buckets from the coarsest source whose unit divides the
 * width, a range before the raw readings kept from the hour rollups), so that both engines answer alike. The
 * buckets come from the layout's `tables`, the rollup tables or TimescaleDB's continuous aggregates, brought up
 * to date over the range first (refreshBuckets).
 */
export class PgHistory {
  constructor(
    private readonly pool: pg.Pool,
    private readonly layout: Pick<PgLayout, 'rawFrom' | 'tables' | 'refreshBuckets'>,
  ) {}

  async history(query: HistoryQuery): Promise<HistoryAnswer> {
    const { deviceId, limit } = query;
    const bounds = query.from === undefined || query.to === undefined ? await this.bounds(deviceId) : null;
    const from = query.from ?? bounds?.lo ?? null;
    const to = query.to ?? bounds?.hi ?? null;
    if (from === null || to === null || from > to) return { readings: [], bucketMs: null, buckets: [] };
    const rawWhole = from >= (await this.layout.rawFrom());
    const counted = rawWhole
      ? await this.one<{ n: number }>(SQL.countRaw, [deviceId, from, to, Math.max(limit, RAW_SCAN_MAX) + 1])
      : null;
    const count = counted ? counted.n : Number.POSITIVE_INFINITY;
    if (count <= limit) {
      const { rows } = await this.pool.query<TelemetryRow>(SQL.raw, [deviceId, from, to]);
      return { readings: rows.map(telemetryFromRow), bucketMs: null, buckets: [] };
    }
    const least = !rawWhole ? HOUR_MS : count > RAW_SCAN_MAX ? MINUTE_MS : 1;
    const width = bucketWidth(from, to, limit, least);
    const lo = Math.floor(from / width) * width;
    const hi = Math.floor(to / width) * width + width - 1;
    const source = bucketSource(width);
    const params = [deviceId, lo, hi, width];
    if (query.form === 'readings' && source === 'raw') {
      const { rows } = await this.pool.query<TelemetryRow>(SQL.newestPerBucket, params);
      return { readings: rows.map(telemetryFromRow), bucketMs: width, buckets: [] };
    }
    if (source !== 'raw') await this.layout.refreshBuckets(source, lo, hi);
    const sql = source === 'raw' ? SQL.fromRaw : SQL.fromRollup(this.layout.tables[source]);
    const { rows } = await this.pool.query<BucketRow>(sql, params);
    if (query.form === 'buckets') return { readings: [], bucketMs: width, buckets: rows.map(toBucket) };
    const readings = [];
    for (const row of rows) {
      const found = await this.one<TelemetryRow>(SQL.newestIn, [deviceId, row.start, row.start + width]);
      if (found) readings.push(telemetryFromRow(found));
    }
    return { readings, bucketMs: width, buckets: [] };
  }

  /** The device's oldest and newest times, over raw readings and hour rollups (as SqliteHistory). */
  private async bounds(deviceId: string): Promise<{ lo: number | null; hi: number | null }> {
    type Bounds = { lo: number | null; hi: number | null };
    const raw = (await this.one<Bounds>(SQL.rawBounds, [deviceId])) ?? { lo: null, hi: null };
    const hour = (await this.one<Bounds>(SQL.hourBounds(this.layout.tables.hour), [deviceId])) ?? {
      lo: null,
      hi: null,
    };
    const lo = raw.lo === null ? hour.lo : hour.lo === null ? raw.lo : Math.min(raw.lo, hour.lo);
    const hi = raw.hi ?? (hour.hi === null ? null : hour.hi + HOUR_MS - 1);
    return { lo, hi };
  }

  private async one<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T | undefined> {
    return (await this.pool.query<T>(sql, params)).rows[0];
  }
}
