import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, type Logger, systemClock } from '@fleet/shared';
import Database from 'better-sqlite3';
import type { DeliveryFigures, StoredReading } from '../api-types.js';
import type { DeviceRecord } from '../fleet/device-record.js';
import type { HistoryAnswer, HistoryQuery, HistoryStore } from './history-store.js';
import { prepareSchema } from './migrate.js';
import { type RawPage, type RawPageQuery, RawPages, type RawReadingSource } from './raw-pages.js';
import { type ReadingToWrite, ReadingWriter, type WriteOutcome } from './reading-writer.js';
import { type RollupStep, Rollups } from './rollups.js';
import { type DeviceRow, deviceFromRow, deviceParams, type TelemetryRow, telemetryFromRow } from './rows.js';
import { TELEMETRY_COLUMNS, UPSERT_DEVICE_SQL } from './schema.js';
import { CATCH_UP_ROWS, SqliteHistory } from './sqlite-history.js';

export interface TelemetryStoreOptions {
  /** SQLite file; its folder is created. `:memory:` works too. */
  path: string;
  logger: Logger;
  /** For the migration of a previous release's database (readings from the future are filed now). */
  clock?: Clock;
}

export interface RecentQuery {
  deviceId?: string;
  limit: number;
}

const DELETE_CHUNK = 5000;

/**
 * Telemetry, delivery figures and the device registry in one SQLite database, in WAL mode with
 * `synchronous=FULL`: a transaction that returned has reached the disk, so what is acknowledged to the
 * broker after it survives a power cut. Writes happen in the caller's transactions (`transaction()`), so the
 * ingest commits a group of messages at once; history is ordered and filed by `trusted_at`.
 */
export class TelemetryStore implements HistoryStore, RawReadingSource {
  private db: Database.Database | null = null;
  private statements: ReturnType<typeof prepareStatements> | null = null;
  private writer: ReadingWriter | null = null;
  private rollups: Rollups | null = null;
  private historyReader: SqliteHistory | null = null;
  private rawPages: RawPages | null = null;

  constructor(private readonly options: TelemetryStoreOptions) {}

  get path(): string {
    return this.options.path;
  }

  /** The open database, for the stores that share its file (users, tokens, sessions, the command trail). */
  get database(): Database.Database {
    return this.use().db;
  }

  /** Opens (or creates) the database, migrating one of the previous release in place. */
  open(): void {
    if (this.db) return;
    let db: Database.Database | null = null;
    try {
      if (this.options.path !== ':memory:') mkdirSync(dirname(this.options.path), { recursive: true });
      db = new Database(this.options.path);
      db.pragma('journal_mode = WAL');
      // FULL: in WAL mode NORMAL may lose the last commits at a power cut (not at a crash of the process);
      // the broker has been told they were stored by then, so it would not send them again.
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      prepareSchema(db, (this.options.clock ?? systemClock).now().getTime(), this.options.logger);
      this.statements = prepareStatements(db);
      this.writer = new ReadingWriter(db);
      this.rollups = new Rollups(db);
      this.historyReader = new SqliteHistory(db, this.rollups);
      this.rawPages = new RawPages(db);
    } catch (error) {
      db?.close();
      throw new Error(`Could not open the database ${this.options.path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.db = db;
  }

  close(): void {
    if (!this.db) return;
    this.db.close();
    this.db = null;
    this.statements = null;
    this.writer = null;
    this.rollups = null;
    this.historyReader = null;
    this.rawPages = null;
  }

  /** Runs `work` in one transaction: all of its writes are committed (and on disk) together, or none. */
  transaction<T>(work: () => T): T {
    return this.use().db.transaction(work)();
  }

  /** Files one reading by its identity and counts it (see ReadingWriter); best inside `transaction()`. */
  writeReading(reading: StoredReading): WriteOutcome {
    return this.use().writer.write(reading);
  }

  /** Files readings in order and counts them once per (device, epoch); best inside `transaction()`. */
  writeReadings(items: readonly ReadingToWrite[]): WriteOutcome[] {
    return this.use().writer.writeAll(items);
  }

  /** The delivery figures of one device, over every epoch. */
  delivery(deviceId: string): DeliveryFigures {
    return this.use().writer.figures(deviceId);
  }

  /** The delivery figures of these devices, in one query (zeros for a device with no reading). */
  deliveryOf(deviceIds: readonly string[]): Map<string, DeliveryFigures> {
    return this.use().writer.figuresOf(deviceIds);
  }

  /** The delivery figures of every device that has sent a reading. */
  allDelivery(): Map<string, DeliveryFigures> {
    return this.use().writer.allFigures();
  }

  /** The most recent `limit` readings by trusted_at (of one device, or of all), oldest first. */
  recent(query: RecentQuery): StoredReading[] {
    const { recentAll, recentOne } = this.use();
    const rows = (
      query.deviceId === undefined ? recentAll.all(query.limit) : recentOne.all(query.deviceId, query.limit)
    ) as TelemetryRow[];
    return rows.reverse().map(telemetryFromRow);
  }

  /**
   * One device's history over a range, whole or in time buckets (see SqliteHistory), on this thread; the
   * readings the rollup job has not reached yet are rolled up first (one step at most).
   */
  history(query: HistoryQuery): HistoryAnswer {
    this.catchUpRollups();
    return this.use().history.history(query);
  }

  /** One page of one device's raw readings, oldest first by (trusted_at, rowid): see RawPages. */
  rawPage(query: RawPageQuery): RawPage {
    return this.use().rawPages.rawPage(query);
  }

  oldestRaw(deviceId: string): number | null {
    return this.use().rawPages.oldestRaw(deviceId);
  }

  rawFrom(): number {
    return this.use().rollups.rawFrom();
  }

  /** Read your writes: one step of the rollups, when readings wait (see CATCH_UP_ROWS). */
  catchUpRollups(): void {
    this.use().rollups.catchUp(CATCH_UP_ROWS, CATCH_UP_ROWS);
  }

  /** Adds at most `maxRows` new readings to the rollups, in one transaction (see Rollups). */
  rollUp(maxRows: number): RollupStep {
    return this.use().rollups.step(maxRows);
  }

  /**
   * Removes readings whose trusted_at is before `cutoff` (epoch ms), a chunk at a time so writes can go on
   * in between; a reading the rollups have not reached yet is added to its hour rollup first (see Rollups).
   * The delivery figures are kept: a purged reading was received, not lost.
   */
  async deleteOlderThan(cutoff: number): Promise<number> {
    this.use().rollups.setRawFrom(cutoff);
    let removed = 0;
    for (;;) {
      const changes = this.use().rollups.removeRolledUp(cutoff, DELETE_CHUNK);
      removed += changes;
      if (changes < DELETE_CHUNK) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return removed + this.use().rollups.removeUnrolled(cutoff);
  }

  /**
   * Removes minute rollups wholly before `rawCutoff` and hour rollups wholly before `rollupCutoff`, device
   * by device with pauses in between; resolves to the rows removed.
   */
  async deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number> {
    let removed = 0;
    let after = '';
    for (;;) {
      const next = this.use().rollups.trimNext(after, rawCutoff, rollupCutoff);
      if (next.device === null) return removed;
      removed += next.removed;
      after = next.device;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  loadDevices(): DeviceRecord[] {
    return (this.use().allDevices.all() as DeviceRow[]).map(deviceFromRow);
  }

  saveDevices(records: readonly DeviceRecord[]): void {
    const { db, upsertDevice } = this.use();
    db.transaction(() => {
      for (const record of records) upsertDevice.run(deviceParams(record));
    })();
  }

  /** True when the database answers a query (reads; a failing write is the ingest's to report). */
  isHealthy(): boolean {
    try {
      this.use().ping.get();
      return true;
    } catch {
      return false;
    }
  }

  private use() {
    if (
      !this.db ||
      !this.statements ||
      !this.writer ||
      !this.rollups ||
      !this.historyReader ||
      !this.rawPages
    ) {
      throw new Error(`The database ${this.options.path} is not open.`);
    }
    return {
      db: this.db,
      writer: this.writer,
      rollups: this.rollups,
      history: this.historyReader,
      rawPages: this.rawPages,
      ...this.statements,
    };
  }
}

const ORDER_DESC = 'ORDER BY trusted_at DESC, received_at DESC, seq DESC';

function prepareStatements(db: Database.Database) {
  return {
    recentAll: db.prepare(`SELECT ${TELEMETRY_COLUMNS} FROM telemetry ${ORDER_DESC} LIMIT ?`),
    recentOne: db.prepare(
      `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? ${ORDER_DESC} LIMIT ?`,
    ),
    allDevices: db.prepare('SELECT * FROM devices ORDER BY device_id'),
    upsertDevice: db.prepare(UPSERT_DEVICE_SQL),
    ping: db.prepare('SELECT 1'),
  };
}
