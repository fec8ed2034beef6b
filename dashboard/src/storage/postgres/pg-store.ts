import type { Logger } from '@fleet/shared';
import type pg from 'pg';
import type { DeliveryFigures, StoredReading } from '../../api-types.js';
import type { DeviceRecord } from '../../fleet/device-record.js';
import type { HistoryAnswer, HistoryQuery } from '../history-store.js';
import type { RawPage, RawPageQuery } from '../raw-pages.js';
import type { ReadingStore } from '../reading-store.js';
import type { ReadingToWrite, WriteOutcome } from '../reading-writer.js';
import type { RollupStep } from '../rollups.js';
import { type DeviceRow, deviceFromRow, deviceParams } from '../rows.js';
import type { RecentQuery } from '../telemetry-store.js';
import { chooseLayout } from './choose-layout.js';
import type { PgLayout } from './layout.js';
import { migrate } from './migrations.js';
import { ADD_FORGOTTEN_SQL } from './pg-forgotten-devices.js';
import { PgHistory } from './pg-history.js';
import { newestReadingsOf, oldestRawOf, rawPageOf, recentReadings } from './pg-readings.js';
import { FIGURES_SQL, TOTALS_SQL, toFigures, writeReadingsPg } from './pg-writer.js';
import { createPool, inTransaction, maskDatabaseUrl } from './pool.js';

export interface PgReadingStoreOptions {
  /** DATABASE_URL, postgres://… */
  url: string;
  logger: Logger;
  /** Connections at most (default 10). */
  poolSize?: number;
  /**
   * Whether TimescaleDB is used where it can be created (default true). False keeps a plain database plain (the
   * storage contract's "PostgreSQL" engine on a server that has TimescaleDB); a database already converted
   * stays on TimescaleDB whatever this says.
   */
  timescale?: boolean;
}

/** Readings of a forgotten device removed per statement. */
const FORGET_CHUNK = 5000;
const ZERO: DeliveryFigures = { received: 0, lost: 0, conflicts: 0 };

const UPSERT_DEVICES_SQL = `
INSERT INTO devices (device_id, first_seen, last_seen, status, online_status, latest, settings, firmware, alerte, availability)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
  $8::text[], $9::smallint[], $10::text[])
ON CONFLICT (device_id) DO UPDATE SET
  first_seen = excluded.first_seen, last_seen = excluded.last_seen, status = excluded.status,
  online_status = excluded.online_status, latest = excluded.latest, settings = excluded.settings,
  firmware = excluded.firmware, alerte = excluded.alerte, availability = excluded.availability`;

/**
 * The readings path on PostgreSQL (DATABASE_URL): readings, delivery figures, rollups and the device
 * registry. Where TimescaleDB can be created, readings go into a hypertable with continuous aggregates for the
 * chart buckets (TimescaleRollups); elsewhere plain tables with the rollups maintained by the dashboard
 * (PlainLayout). Which one is said at start (see README, "PostgreSQL").
 */
export class PgReadingStore implements ReadingStore {
  readonly engine = 'postgresql' as const;
  private pool: pg.Pool | null = null;
  private rollups: PgLayout | null = null;
  private historyReader: PgHistory | null = null;
  /** Said at start: plain PostgreSQL, or TimescaleDB and its version. */
  flavour = 'not open';
  /** The layout in use once open. */
  layout: 'plain' | 'timescale' | null = null;
  /** Writes under way: close() waits for them (the registry's last write at a clean stop), forgetDevice too. */
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(private readonly options: PgReadingStoreOptions) {}

  /** The URL with its password masked, as logged. */
  get label(): string {
    return maskDatabaseUrl(this.options.url);
  }

  async open(): Promise<void> {
    if (this.pool) return;
    const pool = createPool(this.options.url, this.options.poolSize);
    // An idle connection that breaks (a server restart) is not an unhandled error: the next query reconnects.
    // pg-pool hangs the client (its connection parameters, password included) on the error: only the code
    // and the message are logged.
    pool.on('error', (error) =>
      this.options.logger.warn(
        { code: (error as { code?: string }).code, reason: error.message },
        'An idle PostgreSQL connection was lost; the next query opens another',
      ),
    );
    let layout: PgLayout;
    try {
      await migrate(pool, this.options.logger);
      const chosen = await chooseLayout(pool, {
        logger: this.options.logger,
        label: this.label,
        timescale: this.options.timescale !== false,
      });
      layout = chosen.layout;
      this.layout = chosen.name;
      this.flavour = chosen.flavour;
      await layout.open();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new Error(`Could not open the PostgreSQL database ${this.label}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.pool = pool;
    this.rollups = layout;
    this.historyReader = new PgHistory(pool, layout);
  }

  async close(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    const pool = this.pool;
    this.pool = null;
    this.rollups = null;
    this.historyReader = null;
    await pool?.end();
  }

  writeReadings(items: readonly ReadingToWrite[]): Promise<WriteOutcome[]> {
    const { pool, rollups } = this.use();
    return this.track(inTransaction(pool, (client) => writeReadingsPg(client, items, rollups.statements)));
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inflight.add(work);
    void work.then(
      () => this.inflight.delete(work),
      () => this.inflight.delete(work),
    );
    return work;
  }

  async deliveryOf(deviceIds: readonly string[]): Promise<Map<string, DeliveryFigures>> {
    const figures = new Map<string, DeliveryFigures>();
    if (deviceIds.length === 0) return figures;
    const { rows } = await this.use().pool.query<DeliveryFigures & { device_id: string }>(
      `${FIGURES_SQL} WHERE device_id = ANY($1::text[]) GROUP BY device_id`,
      [deviceIds],
    );
    for (const row of rows) figures.set(row.device_id, toFigures(row));
    for (const id of deviceIds) if (!figures.has(id)) figures.set(id, { ...ZERO });
    return figures;
  }

  async allDelivery(): Promise<Map<string, DeliveryFigures>> {
    const { rows } = await this.use().pool.query<DeliveryFigures & { device_id: string }>(
      `${FIGURES_SQL} GROUP BY device_id`,
    );
    return new Map(rows.map((row) => [row.device_id, toFigures(row)]));
  }

  async deliveryTotals(): Promise<DeliveryFigures> {
    const { rows } = await this.use().pool.query<DeliveryFigures>(TOTALS_SQL);
    return toFigures(rows[0] ?? ZERO);
  }

  async recent(query: RecentQuery): Promise<StoredReading[]> {
    return recentReadings(this.use().pool, query);
  }

  async history(query: HistoryQuery): Promise<HistoryAnswer> {
    const { rollups, history } = this.use();
    await rollups.catchUp();
    return history.history(query);
  }

  async rawPage(query: RawPageQuery): Promise<RawPage> {
    return rawPageOf(this.use().pool, query);
  }

  /** Each device's newest stored reading (see newestReadingsOf). */
  async newestReadings(): Promise<Map<string, StoredReading>> {
    return newestReadingsOf(this.use().pool);
  }

  async oldestRaw(deviceId: string): Promise<number | null> {
    return oldestRawOf(this.use().pool, deviceId);
  }

  rawFrom(): Promise<number> {
    return this.use().rollups.rawFrom();
  }

  rollUp(max: number): Promise<RollupStep> {
    return this.use().rollups.step(max);
  }

  deleteOlderThan(cutoff: number): Promise<number> {
    return this.use().rollups.deleteOlderThan(cutoff);
  }

  deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number> {
    return this.use().rollups.deleteRollupsOlderThan(rawCutoff, rollupCutoff);
  }

  async loadDevices(): Promise<DeviceRecord[]> {
    const { rows } = await this.use().pool.query<DeviceRow>('SELECT * FROM devices ORDER BY device_id');
    return rows.map(deviceFromRow);
  }

  async forgetDevice(deviceId: string, upTo: number): Promise<number> {
    const { pool } = this.use();
    // A registry or readings write of this replica already under way (its own pool connection) would
    // otherwise commit after the DELETE and write the device back. Those started from now on leave it
    // out: the registry writer drops a forgotten device's pending record at the `forgotten` event.
    await Promise.allSettled([...this.inflight]);
    const { rollups } = this.use();
    await inTransaction(pool, async (client) => {
      // Listed as forgotten as its registry row goes: every replica leaves it out (TombstoneRefresh).
      await client.query(ADD_FORGOTTEN_SQL, [deviceId, upTo]);
      for (const table of ['devices', 'delivery']) {
        await client.query(`DELETE FROM ${table} WHERE device_id = $1`, [deviceId]);
      }
      await rollups.forgetRollups(client, deviceId);
    });
    let removed = 0;
    for (;;) {
      const count = await rollups.deleteReadingsChunk(deviceId, upTo, FORGET_CHUNK);
      removed += count;
      if (count < FORGET_CHUNK) return removed;
    }
  }

  saveDevices(records: readonly DeviceRecord[]): Promise<void> {
    return this.track(this.upsertDevices(records));
  }

  private async upsertDevices(records: readonly DeviceRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = [...records].map(deviceParams).sort((a, b) => (a.device_id < b.device_id ? -1 : 1));
    const column = <K extends keyof DeviceRow>(key: K) => rows.map((row) => row[key]);
    await this.use().pool.query(UPSERT_DEVICES_SQL, [
      column('device_id'),
      column('first_seen'),
      column('last_seen'),
      column('status'),
      column('online_status'),
      column('latest'),
      column('settings'),
      column('firmware'),
      column('alerte'),
      column('availability'),
    ]);
  }

  async isHealthy(): Promise<boolean> {
    try {
      await this.use().pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** The open pool, shared with the access stores (pgAccessStores): users, tokens, sessions. */
  sharedPool(): pg.Pool {
    return this.use().pool;
  }

  private use() {
    if (!this.pool || !this.rollups || !this.historyReader) {
      throw new Error(`The PostgreSQL database ${this.label} is not open.`);
    }
    return { pool: this.pool, rollups: this.rollups, history: this.historyReader };
  }
}
