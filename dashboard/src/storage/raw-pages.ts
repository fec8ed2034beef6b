import type Database from 'better-sqlite3';
import type { TelemetryRow } from './rows.js';
import { TELEMETRY_COLUMNS } from './schema.js';

/** Where a page of raw readings resumes: just after this (trusted_at, rowid). */
export interface RawCursor {
  trustedAt: number;
  rowid: number;
}

/** One page of one device's raw readings over a range, oldest first by (trusted_at, rowid). */
export interface RawPageQuery {
  deviceId: string;
  /** Epoch ms of trusted_at, inclusive. */
  from: number;
  /** Epoch ms of trusted_at, inclusive. */
  to: number;
  /** Null: the first page. */
  after: RawCursor | null;
  /** Rows at most. */
  limit: number;
}

export interface RawPage {
  rows: TelemetryRow[];
  /** Where the next page starts; null when this page was the last. */
  next: RawCursor | null;
}

/** Reads one device's raw readings a page at a time (for exports): the part of storage behind RawReadingSource. */
export interface RawReadingSource {
  rawPage(query: RawPageQuery): RawPage | Promise<RawPage>;
  /** The trusted_at of the device's oldest raw reading kept, null when it has none. */
  oldestRaw(deviceId: string): number | null | Promise<number | null>;
  /** The start of the raw readings kept (the last HISTORY_DAYS cutoff; 0 before the first): older ones are gone. */
  rawFrom(): number | Promise<number>;
}

type PageRow = TelemetryRow & { row_id: number };

/**
 * Keyset paging over the (device_id, trusted_at) index, whose entries end with the rowid: each page is one
 * short query that holds no read transaction open between pages (an open iterate() would keep the
 * connection busy, and the ingest writes on it), and a page starts where the last ended even while
 * readings are written or removed in between.
 */
export class RawPages implements Omit<RawReadingSource, 'rawFrom'> {
  private readonly statements;

  constructor(db: Database.Database) {
    const select = `SELECT rowid AS row_id, ${TELEMETRY_COLUMNS} FROM telemetry`;
    this.statements = {
      first: db.prepare(
        `${select} WHERE device_id = ? AND trusted_at BETWEEN ? AND ? ORDER BY trusted_at, rowid LIMIT ?`,
      ),
      after: db.prepare(
        `${select} WHERE device_id = ? AND (trusted_at, rowid) > (?, ?) AND trusted_at <= ?
         ORDER BY trusted_at, rowid LIMIT ?`,
      ),
      oldest: db.prepare('SELECT MIN(trusted_at) FROM telemetry WHERE device_id = ?').pluck(),
    };
  }

  rawPage(query: RawPageQuery): RawPage {
    const { deviceId, from, to, after, limit } = query;
    const found = (
      after === null
        ? this.statements.first.all(deviceId, from, to, limit)
        : this.statements.after.all(deviceId, after.trustedAt, after.rowid, to, limit)
    ) as PageRow[];
    const last = found.at(-1);
    const next = found.length === limit && last ? { trustedAt: last.trusted_at, rowid: last.row_id } : null;
    // The rows keep their row_id field: harmless to a reader of TelemetryRow, and no copy per row.
    return { rows: found, next };
  }

  oldestRaw(deviceId: string): number | null {
    return (this.statements.oldest.get(deviceId) as number | null) ?? null;
  }
}
