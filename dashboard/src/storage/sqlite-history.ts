import type Database from 'better-sqlite3';
import { type BucketRow, bucketSource, bucketWidth, toBucket } from './buckets.js';
import type { HistoryAnswer, HistoryQuery, HistoryStore } from './history-store.js';
import { HOUR_MS, MINUTE_MS, RAW_AGGREGATES, ROLLUP_AGGREGATES } from './rollup-schema.js';
import { type TelemetryRow, telemetryFromRow } from './rows.js';
import { TELEMETRY_COLUMNS } from './schema.js';

/**
 * Raw readings a query may scan to make buckets narrower than a minute (an hour at 2 Hz); more, and the
 * minute rollups are read instead. It also bounds the count that decides whether a range comes whole.
 */
export const RAW_SCAN_MAX = 10_000;
/**
 * Readings rolled up before a query at most, in one step (what the rollup job, every second, has not
 * reached yet): a few ms. During a large catch-up at start, answers lag behind the job instead.
 */
export const CATCH_UP_ROWS = 5_000;

/** The start of the whole raw history, read from the database (for a connection without Rollups). */
export function rawFromOf(db: Database.Database): { rawFrom(): number } {
  const statement = db.prepare("SELECT value FROM rollup_state WHERE name = 'raw_from'").pluck();
  return { rawFrom: () => (statement.get() as number | undefined) ?? 0 };
}

/**
 * One device's history from SQLite, read only (the caller rolls up what waits first; see TelemetryStore),
 * bounded whatever the range: a range holding at most `limit` readings
 * comes whole (a bounded count decides); a longer one comes in at most `limit` time buckets, read from the
 * coarsest source whose unit divides the bucket width (hour, ten-minute or minute rollups, or raw readings for
 * buckets under a minute when there are few enough). A range that starts before the raw readings kept
 * (HISTORY_DAYS) is read from the hour rollups.
 */
export class SqliteHistory implements HistoryStore {
  private readonly statements;

  constructor(
    db: Database.Database,
    /** The start of the whole raw history (the last retention cutoff; see Rollups.rawFrom). */
    private readonly rollups: { rawFrom(): number },
  ) {
    // better-sqlite3 binds a JS number as a REAL: the width is cast so that the division rounds down.
    const fromRollup = (table: string) =>
      db.prepare(
        `SELECT (bucket / CAST(@width AS INTEGER)) * CAST(@width AS INTEGER) AS start, ${ROLLUP_AGGREGATES}
         FROM ${table} WHERE device_id = @device AND bucket BETWEEN @lo AND @hi
         GROUP BY start ORDER BY start`,
      );
    this.statements = {
      oldestRaw: db.prepare('SELECT MIN(trusted_at) FROM telemetry WHERE device_id = ?').pluck(),
      newestRaw: db.prepare('SELECT MAX(trusted_at) FROM telemetry WHERE device_id = ?').pluck(),
      oldestHour: db.prepare('SELECT MIN(bucket) FROM rollup_hour WHERE device_id = ?').pluck(),
      newestHour: db.prepare('SELECT MAX(bucket) FROM rollup_hour WHERE device_id = ?').pluck(),
      countRaw: db
        .prepare(
          'SELECT COUNT(*) FROM (SELECT 1 FROM telemetry WHERE device_id = ? AND trusted_at BETWEEN ? AND ? LIMIT ?)',
        )
        .pluck(),
      raw: db.prepare(
        `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? AND trusted_at BETWEEN ? AND ?
         ORDER BY trusted_at, received_at, seq`,
      ),
      newestIn: db.prepare(
        `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? AND trusted_at >= ? AND trusted_at < ?
         ORDER BY trusted_at DESC LIMIT 1`,
      ),
      fromRaw: db.prepare(
        `SELECT (trusted_at / CAST(@width AS INTEGER)) * CAST(@width AS INTEGER) AS start, ${RAW_AGGREGATES}
         FROM telemetry WHERE device_id = @device AND trusted_at BETWEEN @lo AND @hi
         GROUP BY start ORDER BY start`,
      ),
      // The newest reading of each bucket in one pass (SQLite takes the bare columns from the MAX row).
      newestPerBucket: db.prepare(
        `SELECT ${TELEMETRY_COLUMNS}, MAX(trusted_at) FROM telemetry
         WHERE device_id = @device AND trusted_at BETWEEN @lo AND @hi
         GROUP BY trusted_at / CAST(@width AS INTEGER) ORDER BY trusted_at`,
      ),
      fromMinute: fromRollup('rollup_minute'),
      fromTen: fromRollup('rollup_10min'),
      fromHour: fromRollup('rollup_hour'),
    };
  }

  history(query: HistoryQuery): HistoryAnswer {
    const s = this.statements;
    const { deviceId, limit } = query;
    const from = query.from ?? this.oldest(deviceId);
    const to = query.to ?? this.newest(deviceId);
    if (from === null || to === null || from > to) return { readings: [], bucketMs: null, buckets: [] };

    const rawWhole = from >= this.rollups.rawFrom();
    const counted = rawWhole
      ? (s.countRaw.get(deviceId, from, to, Math.max(limit, RAW_SCAN_MAX) + 1) as number)
      : Number.POSITIVE_INFINITY;
    if (counted <= limit) {
      const rows = s.raw.all(deviceId, from, to) as TelemetryRow[];
      return { readings: rows.map(telemetryFromRow), bucketMs: null, buckets: [] };
    }
    // Under a minute, buckets come from raw readings only when few enough; before the raw readings kept,
    // from the hour rollups only.
    const least = !rawWhole ? HOUR_MS : counted > RAW_SCAN_MAX ? MINUTE_MS : 1;
    const width = bucketWidth(from, to, limit, least);
    const lo = Math.floor(from / width) * width;
    const hi = Math.floor(to / width) * width + width - 1;
    const source = bucketSource(width);
    const params = { device: deviceId, width, lo, hi };
    if (query.form === 'readings' && source === 'raw') {
      const newest = s.newestPerBucket.all(params) as TelemetryRow[];
      return { readings: newest.map(telemetryFromRow), bucketMs: width, buckets: [] };
    }
    const statement = { hour: s.fromHour, ten: s.fromTen, minute: s.fromMinute, raw: s.fromRaw }[source];
    const rows = statement.all(params) as BucketRow[];
    if (query.form === 'buckets') return { readings: [], bucketMs: width, buckets: rows.map(toBucket) };
    // The newest reading of each bucket that has one, found through the rollups: a seek per bucket.
    const readings = [];
    for (const row of rows) {
      const found = s.newestIn.get(deviceId, row.start, row.start + width) as TelemetryRow | undefined;
      if (found) readings.push(telemetryFromRow(found));
    }
    return { readings, bucketMs: width, buckets: [] };
  }

  private oldest(deviceId: string): number | null {
    const raw = this.statements.oldestRaw.get(deviceId) as number | null;
    const hour = this.statements.oldestHour.get(deviceId) as number | null;
    return raw === null ? hour : hour === null ? raw : Math.min(raw, hour);
  }

  private newest(deviceId: string): number | null {
    const raw = this.statements.newestRaw.get(deviceId) as number | null;
    const hour = this.statements.newestHour.get(deviceId) as number | null;
    return raw ?? (hour === null ? null : hour + HOUR_MS - 1);
  }
}
