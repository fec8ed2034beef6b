/** The stored readings read back from PostgreSQL as they are (the history's buckets are PgHistory's). */
import type pg from 'pg';
import type { StoredReading } from '../../api-types.js';
import type { RawPage, RawPageQuery } from '../raw-pages.js';
import { type TelemetryRow, telemetryFromRow } from '../rows.js';
import { TELEMETRY_COLUMNS } from '../schema.js';
import type { RecentQuery } from '../telemetry-store.js';

const ORDER_DESC = 'ORDER BY trusted_at DESC, received_at DESC, seq DESC';

/** The latest readings, of one device or of all, oldest first. */
export async function recentReadings(pool: pg.Pool, query: RecentQuery): Promise<StoredReading[]> {
  const { rows } =
    query.deviceId === undefined
      ? await pool.query<TelemetryRow>(`SELECT ${TELEMETRY_COLUMNS} FROM telemetry ${ORDER_DESC} LIMIT $1`, [
          query.limit,
        ])
      : await pool.query<TelemetryRow>(
          `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = $1 ${ORDER_DESC} LIMIT $2`,
          [query.deviceId, query.limit],
        );
  return rows.reverse().map(telemetryFromRow);
}

/** One page of one device's raw readings over a range, oldest first by (trusted_at, row_id). */
export async function rawPageOf(pool: pg.Pool, query: RawPageQuery): Promise<RawPage> {
  const { deviceId, from, to, after, limit } = query;
  const select = `SELECT row_id, ${TELEMETRY_COLUMNS} FROM telemetry`;
  const { rows } =
    after === null
      ? await pool.query<TelemetryRow & { row_id: number }>(
          `${select} WHERE device_id = $1 AND trusted_at BETWEEN $2 AND $3 ORDER BY trusted_at, row_id LIMIT $4`,
          [deviceId, from, to, limit],
        )
      : await pool.query<TelemetryRow & { row_id: number }>(
          `${select} WHERE device_id = $1 AND (trusted_at, row_id) > ($2, $3) AND trusted_at <= $4
             ORDER BY trusted_at, row_id LIMIT $5`,
          [deviceId, after.trustedAt, after.rowid, to, limit],
        );
  const last = rows.at(-1);
  return {
    rows,
    next: rows.length === limit && last ? { trustedAt: last.trusted_at, rowid: last.row_id } : null,
  };
}

/**
 * Each device's newest stored reading (by trusted_at), for the registry's repair at start: one seek per
 * device that has delivery figures (every device that had a reading stored), in one statement.
 */
export async function newestReadingsOf(pool: pg.Pool): Promise<Map<string, StoredReading>> {
  const columns = TELEMETRY_COLUMNS.split(', ')
    .map((column) => `t.${column}`)
    .join(', ');
  const { rows } = await pool.query<TelemetryRow>(
    `SELECT ${columns} FROM (SELECT DISTINCT device_id FROM delivery) d
       CROSS JOIN LATERAL (SELECT * FROM telemetry x WHERE x.device_id = d.device_id
                           ORDER BY x.trusted_at DESC, x.row_id DESC LIMIT 1) t`,
  );
  return new Map(rows.map((row) => [row.device_id, telemetryFromRow(row)]));
}

/** The trusted_at of a device's oldest raw reading; null when it has none. */
export async function oldestRawOf(pool: pg.Pool, deviceId: string): Promise<number | null> {
  const { rows } = await pool.query<{ lo: number | null }>(
    'SELECT MIN(trusted_at) AS lo FROM telemetry WHERE device_id = $1',
    [deviceId],
  );
  return rows[0]?.lo ?? null;
}
