import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger, Telemetry } from '@fleet/shared';
import Database from 'better-sqlite3';
import type { StoredReading } from '../api-types.js';
import type { DeviceRecord } from '../fleet/device-record.js';
import {
  type DeviceRow,
  deviceFromRow,
  deviceParams,
  storedAsSent,
  type TelemetryRow,
  telemetryFromRow,
  telemetryParams,
} from './rows.js';
import { INSERT_TELEMETRY_SQL, SCHEMA_SQL, TELEMETRY_COLUMNS, UPSERT_DEVICE_SQL } from './schema.js';
import { WriteBatcher } from './write-batcher.js';

export interface TelemetryStoreOptions {
  /** SQLite file; its folder is created. `:memory:` works too. */
  path: string;
  logger: Logger;
  /** Rows per transaction at most; a full batch is written at once (default 1000). */
  batchSize?: number;
  /** A batch that is not full is written this long after its first row (default 50 ms). */
  flushIntervalMs?: number;
  /** Rows kept in memory while the database fails, before the oldest are dropped (default 200 000). */
  maxPending?: number;
}

export interface RecentQuery {
  deviceId?: string;
  limit: number;
}

export interface RangeQuery {
  deviceId: string;
  /** Epoch ms, inclusive; undefined: no bound. */
  from?: number;
  to?: number;
  limit: number;
}

type StoredListener = (rows: StoredReading[]) => void;

const DELETE_CHUNK = 5000;

/**
 * Telemetry and the device registry in one SQLite database (WAL). Readings are queued and written in
 * batches; each (device_id, seq) is stored once, and listeners hear only about rows that were new.
 */
export class TelemetryStore {
  private db: Database.Database | null = null;
  private readonly listeners = new Set<StoredListener>();
  private readonly batcher: WriteBatcher<Telemetry>;
  private statements: ReturnType<typeof prepareStatements> | null = null;

  constructor(private readonly options: TelemetryStoreOptions) {
    this.batcher = new WriteBatcher<Telemetry>({
      write: (rows) => this.writeBatch(rows),
      batchSize: options.batchSize ?? 1000,
      intervalMs: options.flushIntervalMs ?? 50,
      retryMs: 1000,
      maxPending: options.maxPending ?? 200_000,
      onError: (error, pending) =>
        options.logger.error(
          { err: error, pending },
          'Could not write telemetry; it stays queued and is retried',
        ),
      onDrop: (dropped) =>
        options.logger.error(
          { dropped },
          'Telemetry queue full while the database fails; dropped the oldest rows',
        ),
    });
  }

  get path(): string {
    return this.options.path;
  }

  /** The open database, for the stores that share its file (users, tokens, sessions, the command trail). */
  get database(): Database.Database {
    return this.use().db;
  }

  /** Rows queued and not written yet. */
  get pending(): number {
    return this.batcher.pending;
  }

  /** Opens (or creates) the database. */
  open(): void {
    if (this.db) return;
    let db: Database.Database | null = null;
    try {
      if (this.options.path !== ':memory:') mkdirSync(dirname(this.options.path), { recursive: true });
      db = new Database(this.options.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA_SQL);
    } catch (error) {
      db?.close();
      throw new Error(`Could not open the database ${this.options.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.db = db;
    this.statements = prepareStatements(db);
  }

  /** Writes what is queued, then closes. */
  close(): void {
    if (!this.db) return;
    if (!this.batcher.flush()) {
      this.options.logger.error(
        { lost: this.batcher.pending },
        'Closing the database with unwritten telemetry',
      );
    }
    this.batcher.stop();
    this.db.close();
    this.db = null;
    this.statements = null;
  }

  /** Queues a reading; it is written within the flush interval or as soon as a batch is full. */
  enqueue(telemetry: Telemetry): void {
    this.batcher.add(telemetry);
  }

  /** Writes every queued reading now; false when the database refused (they stay queued). */
  flush(): boolean {
    if (!this.db) return this.batcher.pending === 0;
    return this.batcher.flush();
  }

  /** Called after each committed batch with the readings that were new; returns the unsubscribe function. */
  onStored(listener: StoredListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The most recent `limit` readings (of one device, or of all), oldest first. */
  recent(query: RecentQuery): StoredReading[] {
    this.flush();
    const { recentAll, recentOne } = this.use();
    const rows = (
      query.deviceId === undefined ? recentAll.all(query.limit) : recentOne.all(query.deviceId, query.limit)
    ) as TelemetryRow[];
    return rows.reverse().map(telemetryFromRow);
  }

  /**
   * The readings of one device between `from` and `to`, oldest first. When there are more than `limit`,
   * they are thinned out evenly by count: every k-th reading counted back from the newest, which is always
   * kept, so a chart of an hour, a day or a week keeps its shape and its latest point.
   */
  range(query: RangeQuery): StoredReading[] {
    this.flush();
    const { countRange, rangeAll, rangeThinned } = this.use();
    const from = query.from ?? Number.MIN_SAFE_INTEGER;
    const to = query.to ?? Number.MAX_SAFE_INTEGER;
    const { n } = countRange.get(query.deviceId, from, to) as { n: number };
    const rows = (
      n <= query.limit
        ? rangeAll.all(query.deviceId, from, to)
        : rangeThinned.all(query.deviceId, from, to, query.limit, n, query.limit)
    ) as TelemetryRow[];
    return rows.map(telemetryFromRow);
  }

  /** Removes readings older than `cutoff` (epoch ms), a chunk at a time so writes can go on in between. */
  async deleteOlderThan(cutoff: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const { deleteChunk } = this.use();
      const changes = deleteChunk.run(cutoff, DELETE_CHUNK).changes;
      removed += changes;
      if (changes < DELETE_CHUNK) return removed;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  loadDevices(): DeviceRecord[] {
    return (this.use().allDevices.all() as DeviceRow[]).map(deviceFromRow);
  }

  saveDevices(records: readonly DeviceRecord[]): void {
    const { upsertDevice } = this.use();
    this.use().db.transaction(() => {
      for (const record of records) upsertDevice.run(deviceParams(record));
    })();
  }

  /** True when the database answers a query. */
  isHealthy(): boolean {
    try {
      this.use().ping.get();
      return true;
    } catch {
      return false;
    }
  }

  private writeBatch(rows: Telemetry[]): void {
    const { db, insertTelemetry } = this.use();
    const stored: StoredReading[] = [];
    db.transaction(() => {
      for (const row of rows) {
        if (insertTelemetry.run(telemetryParams(row)).changes > 0) stored.push(storedAsSent(row));
      }
    })();
    if (stored.length === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(stored);
      } catch (error) {
        this.options.logger.error({ err: error }, 'A listener of stored telemetry failed');
      }
    }
  }

  private use() {
    if (!this.db || !this.statements) throw new Error(`The database ${this.options.path} is not open.`);
    return { db: this.db, ...this.statements };
  }
}

function prepareStatements(db: Database.Database) {
  return {
    insertTelemetry: db.prepare(INSERT_TELEMETRY_SQL),
    recentAll: db.prepare(`SELECT ${TELEMETRY_COLUMNS} FROM telemetry ORDER BY ts DESC, seq DESC LIMIT ?`),
    recentOne: db.prepare(
      `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? ORDER BY ts DESC, seq DESC LIMIT ?`,
    ),
    countRange: db.prepare('SELECT COUNT(*) AS n FROM telemetry WHERE device_id = ? AND ts BETWEEN ? AND ?'),
    rangeAll: db.prepare(
      `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? AND ts BETWEEN ? AND ? ORDER BY ts, seq`,
    ),
    // Row k (0 = newest) is kept when k * limit mod n < limit: exactly `limit` rows, evenly spaced.
    rangeThinned: db.prepare(
      `SELECT ${TELEMETRY_COLUMNS} FROM (
         SELECT *, ROW_NUMBER() OVER (ORDER BY ts DESC, seq DESC) - 1 AS k
         FROM telemetry WHERE device_id = ? AND ts BETWEEN ? AND ?)
       WHERE (k * ?) % ? < ? ORDER BY ts, seq`,
    ),
    deleteChunk: db.prepare(
      'DELETE FROM telemetry WHERE rowid IN (SELECT rowid FROM telemetry WHERE ts < ? LIMIT ?)',
    ),
    allDevices: db.prepare('SELECT * FROM devices ORDER BY device_id'),
    upsertDevice: db.prepare(UPSERT_DEVICE_SQL),
    ping: db.prepare('SELECT 1'),
  };
}
