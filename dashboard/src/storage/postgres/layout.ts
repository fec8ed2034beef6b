import type pg from 'pg';
import { ROLLUP_TABLES } from '../rollup-schema.js';
import type { RollupStep } from '../rollups.js';
import { PgRollups } from './pg-rollups.js';
import { PLAIN_STATEMENTS, type WriterStatements } from './pg-writer.js';

/** Marked minute buckets rolled up before a history query at most (read your writes). */
const CATCH_UP_BUCKETS = 2000;

/** Where history reads its buckets: a table or view per width, with the rollup tables' columns. */
export interface HistoryTables {
  minute: string;
  ten: string;
  hour: string;
}

/**
 * What differs between the two PostgreSQL layouts: plain tables with the rollups kept by the dashboard
 * (PlainLayout), or TimescaleDB's hypertable and continuous aggregates (TimescaleRollups).
 */
export interface PgLayout {
  readonly statements: WriterStatements;
  readonly tables: HistoryTables;
  open(): Promise<void>;
  rawFrom(): Promise<number>;
  /** One step of the rollup job. */
  step(max: number): Promise<RollupStep>;
  /** Before a history read: what waits is rolled up (read your writes). */
  catchUp(): Promise<void>;
  /** Before `source`'s buckets of [from, to] are read: brings them up to date (read your writes). */
  refreshBuckets(source: keyof HistoryTables, from: number, to: number): Promise<void>;
  deleteOlderThan(cutoff: number): Promise<number>;
  deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number>;
  /** Removes a forgotten device's buckets, in the caller's transaction. */
  forgetRollups(client: pg.ClientBase, deviceId: string): Promise<void>;
  /** Removes at most `limit` readings of the device received up to `upTo`; resolves to the count removed. */
  deleteReadingsChunk(deviceId: string, upTo: number, limit: number): Promise<number>;
}

/** The plain layout (migration 1): rollup tables kept by the dashboard (PgRollups). */
export class PlainLayout implements PgLayout {
  readonly statements = PLAIN_STATEMENTS;
  readonly tables = { minute: 'rollup_minute', ten: 'rollup_10min', hour: 'rollup_hour' } as const;
  private readonly rollups: PgRollups;

  constructor(private readonly pool: pg.Pool) {
    this.rollups = new PgRollups(pool);
  }

  async open(): Promise<void> {}

  rawFrom(): Promise<number> {
    return this.rollups.rawFrom();
  }

  step(max: number): Promise<RollupStep> {
    return this.rollups.step(max);
  }

  async catchUp(): Promise<void> {
    await this.rollups.catchUp(CATCH_UP_BUCKETS, 1);
  }

  /** Nothing more: catchUp computed the marked buckets of every width. */
  async refreshBuckets(): Promise<void> {}

  deleteOlderThan(cutoff: number): Promise<number> {
    return this.rollups.deleteOlderThan(cutoff);
  }

  deleteRollupsOlderThan(rawCutoff: number, rollupCutoff: number): Promise<number> {
    return this.rollups.deleteRollupsOlderThan(rawCutoff, rollupCutoff);
  }

  async forgetRollups(client: pg.ClientBase, deviceId: string): Promise<void> {
    for (const table of [...ROLLUP_TABLES, 'rollup_pending']) {
      await client.query(`DELETE FROM ${table} WHERE device_id = $1`, [deviceId]);
    }
  }

  async deleteReadingsChunk(deviceId: string, upTo: number, limit: number): Promise<number> {
    const result = await this.pool.query(
      `DELETE FROM telemetry WHERE ctid IN (
         SELECT ctid FROM telemetry WHERE device_id = $1 AND received_at <= $2 LIMIT $3)`,
      [deviceId, upTo, limit],
    );
    return result.rowCount ?? 0;
  }
}
