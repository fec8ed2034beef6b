import type Database from 'better-sqlite3';
import {
  HOUR_MS,
  MERGE_ON_CONFLICT,
  MINUTE_MS,
  RAW_AGGREGATES,
  ROLLUP_AGGREGATES,
  ROLLUP_COLUMNS,
  TEN_MINUTES_MS,
} from './rollup-schema.js';

/** Dirty buckets computed again per step at most. */
const DIRTY_PER_STEP = 500;

export interface RollupStep {
  /** New readings added to their buckets. */
  merged: number;
  /** Minute buckets computed again (re-stamped readings). */
  recomputed: number;
  /** Readings still waiting after this step. */
  pending: number;
}

/**
 * Keeps the minute and hour rollups in step with the telemetry table, in small transactions of their own:
 * the ingest pays nothing per reading. New readings are found by rowid above a watermark (a late reading,
 * hours old, is a new row like any other and lands in its old buckets); each row is added to its buckets
 * exactly once, in the transaction that moves the watermark past it. A re-stamped reading changes its
 * trusted_at in place, so ReadingWriter marks its old and new minute buckets dirty, and they are computed
 * again from the raw rows at or below the watermark (their hours from their minutes).
 *
 * SQLite gives a new row max(rowid) + 1: once the rows with the highest rowids are removed, a rowid may be
 * given again. Whoever removes telemetry rows calls `afterRemoval()` in the same transaction, which lowers
 * the watermark to the highest rowid left when it was above it (every row left is rolled up then), so a
 * rowid given again is above the watermark and rolled up like any new one.
 */
export class Rollups {
  private readonly statements;

  constructor(db: Database.Database) {
    // One pass over the new rows: their minute aggregates go to a temporary table, merged from there into
    // the minute rollups and, summed by hour, into the hour rollups.
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS rollup_delta AS SELECT * FROM rollup_minute WHERE 0`);
    const mergeDelta = (table: string, width: number) =>
      db.prepare(
        `INSERT INTO ${table} (${ROLLUP_COLUMNS})
         SELECT device_id, (bucket / ${width}) * ${width} AS b, ${ROLLUP_AGGREGATES}
         FROM temp.rollup_delta GROUP BY device_id, b
         ${MERGE_ON_CONFLICT}`,
      );
    const recomputeFromMinutes = (table: string, width: number) =>
      db.prepare(
        `INSERT INTO ${table} (${ROLLUP_COLUMNS})
         SELECT device_id, @bucket, ${ROLLUP_AGGREGATES} FROM rollup_minute
         WHERE device_id = @device AND bucket >= @bucket AND bucket < @bucket + ${width}
         GROUP BY device_id`,
      );
    backfillTenMinutes(db);
    this.statements = {
      db,
      state: db.prepare('SELECT value FROM rollup_state WHERE name = ?').pluck(),
      setState: db.prepare(
        'INSERT INTO rollup_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
      ),
      maxRowid: db.prepare('SELECT MAX(rowid) FROM telemetry').pluck(),
      clearDelta: db.prepare('DELETE FROM temp.rollup_delta'),
      fillDelta: db.prepare(
        `INSERT INTO temp.rollup_delta (${ROLLUP_COLUMNS})
         SELECT device_id, (trusted_at / ${MINUTE_MS}) * ${MINUTE_MS} AS b, ${RAW_AGGREGATES}
         FROM telemetry WHERE rowid > ? AND rowid <= ? GROUP BY device_id, b`,
      ),
      mergeMinute: db.prepare(
        `INSERT INTO rollup_minute (${ROLLUP_COLUMNS}) SELECT ${ROLLUP_COLUMNS} FROM temp.rollup_delta WHERE true
         ${MERGE_ON_CONFLICT}`,
      ),
      mergeTen: mergeDelta('rollup_10min', TEN_MINUTES_MS),
      mergeHour: mergeDelta('rollup_hour', HOUR_MS),
      dirty: db.prepare('SELECT device_id, bucket FROM rollup_dirty LIMIT ?'),
      clean: db.prepare('DELETE FROM rollup_dirty WHERE device_id = ? AND bucket = ?'),
      dropMinute: db.prepare('DELETE FROM rollup_minute WHERE device_id = ? AND bucket = ?'),
      dropTen: db.prepare('DELETE FROM rollup_10min WHERE device_id = ? AND bucket = ?'),
      dropHour: db.prepare('DELETE FROM rollup_hour WHERE device_id = ? AND bucket = ?'),
      recomputeMinute: db.prepare(
        `INSERT INTO rollup_minute (${ROLLUP_COLUMNS})
         SELECT device_id, @bucket, ${RAW_AGGREGATES} FROM telemetry
         WHERE device_id = @device AND trusted_at >= @bucket AND trusted_at < @bucket + ${MINUTE_MS}
           AND rowid <= @watermark
         GROUP BY device_id`,
      ),
      recomputeTen: recomputeFromMinutes('rollup_10min', TEN_MINUTES_MS),
      recomputeHour: recomputeFromMinutes('rollup_hour', HOUR_MS),
      // By device, along the primary key: no scan of the whole table.
      nextMinuteDevice: db.prepare('SELECT MIN(device_id) FROM rollup_minute WHERE device_id > ?').pluck(),
      nextHourDevice: db.prepare('SELECT MIN(device_id) FROM rollup_hour WHERE device_id > ?').pluck(),
      removeRolledUp: db.prepare(
        'DELETE FROM telemetry WHERE rowid IN (SELECT rowid FROM telemetry WHERE trusted_at < ? AND rowid <= ? LIMIT ?)',
      ),
      mergeUnrolledIntoHours: db.prepare(
        `INSERT INTO rollup_hour (${ROLLUP_COLUMNS})
         SELECT device_id, (trusted_at / ${HOUR_MS}) * ${HOUR_MS} AS b, ${RAW_AGGREGATES}
         FROM telemetry WHERE trusted_at < ? AND rowid > ? GROUP BY device_id, b
         ${MERGE_ON_CONFLICT}`,
      ),
      removeUnrolled: db.prepare('DELETE FROM telemetry WHERE trusted_at < ? AND rowid > ?'),
      trimMinute: db.prepare(`DELETE FROM rollup_minute WHERE device_id = ? AND bucket <= ? - ${MINUTE_MS}`),
      trimTen: db.prepare(`DELETE FROM rollup_10min WHERE device_id = ? AND bucket <= ? - ${TEN_MINUTES_MS}`),
      trimHour: db.prepare(`DELETE FROM rollup_hour WHERE device_id = ? AND bucket <= ? - ${HOUR_MS}`),
    };
  }

  /** The highest telemetry rowid rolled up. */
  watermark(): number {
    return (this.statements.state.get('watermark') as number | undefined) ?? 0;
  }

  /**
   * The last retention cutoff (epoch ms): from there on the raw readings and the minute rollups are whole;
   * before it only the hour rollups are (dirty buckets before it are left as they are).
   */
  rawFrom(): number {
    return (this.statements.state.get('raw_from') as number | undefined) ?? 0;
  }

  /** Rolls up at most `maxRows` new readings and some dirty buckets, in one transaction. */
  step(maxRows: number): RollupStep {
    const s = this.statements;
    return s.db.transaction((): RollupStep => {
      const from = this.watermark();
      const max = (s.maxRowid.get() as number | null) ?? 0;
      const to = Math.min(max, from + maxRows);
      if (to > from) {
        s.clearDelta.run();
        s.fillDelta.run(from, to);
        s.mergeMinute.run();
        s.mergeTen.run();
        s.mergeHour.run();
        s.setState.run('watermark', to);
      }
      const watermark = Math.max(from, to);
      const rawFrom = this.rawFrom();
      const dirty = s.dirty.all(DIRTY_PER_STEP) as Array<{ device_id: string; bucket: number }>;
      // Then their ten minutes and hours, from their minutes.
      const coarser = new Map<string, { device: string; bucket: number; width: number }>();
      for (const { device_id: device, bucket } of dirty) {
        s.clean.run(device, bucket);
        if (bucket < rawFrom) continue;
        s.dropMinute.run(device, bucket);
        s.recomputeMinute.run({ device, bucket, watermark });
        for (const width of [TEN_MINUTES_MS, HOUR_MS]) {
          const start = Math.floor(bucket / width) * width;
          coarser.set(`${device}\n${width}\n${start}`, { device, bucket: start, width });
        }
      }
      for (const { device, bucket, width } of coarser.values()) {
        if (bucket < rawFrom) continue;
        if (width === HOUR_MS) {
          s.dropHour.run(device, bucket);
          s.recomputeHour.run({ device, bucket });
        } else {
          s.dropTen.run(device, bucket);
          s.recomputeTen.run({ device, bucket });
        }
      }
      return { merged: to > from ? to - from : 0, recomputed: dirty.length, pending: max - watermark };
    })();
  }

  /** Steps until nothing waits or `maxRows` readings were rolled up; true when caught up. */
  catchUp(maxRows: number, batch: number): boolean {
    let done = 0;
    for (;;) {
      const step = this.step(Math.min(batch, maxRows - done));
      done += step.merged;
      const dirtyLeft = step.recomputed === DIRTY_PER_STEP;
      if (step.pending === 0 && !dirtyLeft) return true;
      if (done >= maxRows) return false;
    }
  }

  /** To call in the transaction that removed telemetry rows (see the class comment). */
  afterRemoval(): void {
    const max = (this.statements.maxRowid.get() as number | null) ?? 0;
    if (max < this.watermark()) this.statements.setState.run('watermark', max);
  }

  /**
   * Removes at most `chunk` readings filed before `cutoff` that are rolled up (their hour rollups stay);
   * returns how many.
   */
  removeRolledUp(cutoff: number, chunk: number): number {
    const s = this.statements;
    return s.db.transaction(() => {
      const removed = s.removeRolledUp.run(cutoff, this.watermark(), chunk).changes;
      this.afterRemoval();
      return removed;
    })();
  }

  /**
   * Removes the readings filed before `cutoff` that the rollups have not reached (late ones, few), adding
   * them to their hour rollups first (their minute rollups would go with them); returns how many.
   */
  removeUnrolled(cutoff: number): number {
    const s = this.statements;
    return s.db.transaction(() => {
      const watermark = this.watermark();
      s.mergeUnrolledIntoHours.run(cutoff, watermark);
      const removed = s.removeUnrolled.run(cutoff, watermark).changes;
      this.afterRemoval();
      return removed;
    })();
  }

  /**
   * Records `rawCutoff` as the start of the whole raw history (the raw readings before it are being
   * removed); dirty buckets before it are no longer computed again.
   */
  setRawFrom(rawCutoff: number): void {
    if (rawCutoff > this.rawFrom()) this.statements.setState.run('raw_from', rawCutoff);
  }

  /**
   * Removes, for the device after `after` in id order (the first for ''), its minute rollups wholly before
   * `rawCutoff` and its hour rollups wholly before `rollupCutoff`. Returns that device's id (null: none
   * left) and the rows removed, so that a caller goes device by device with pauses in between.
   */
  trimNext(
    after: string,
    rawCutoff: number,
    rollupCutoff: number,
  ): { device: string | null; removed: number } {
    const s = this.statements;
    const minute = s.nextMinuteDevice.get(after) as string | null;
    const hour = s.nextHourDevice.get(after) as string | null;
    // The first in id order of the two (strings: not Math.min).
    const device = [minute, hour].filter((id) => id !== null).sort()[0] ?? null;
    if (device === null) return { device: null, removed: 0 };
    const removed = s.db.transaction(
      () =>
        s.trimMinute.run(device, rawCutoff).changes +
        s.trimTen.run(device, rawCutoff).changes +
        s.trimHour.run(device, rollupCutoff).changes,
    )();
    return { device, removed };
  }
}

/**
 * The ten-minute rollups came after the others: a database rolled up before them gets them from its
 * minute rollups, once (the raw readings before the last retention cutoff are gone, the minutes are not).
 */
function backfillTenMinutes(db: Database.Database): void {
  const empty = db.prepare('SELECT 1 FROM rollup_10min LIMIT 1').get() === undefined;
  if (!empty || db.prepare('SELECT 1 FROM rollup_minute LIMIT 1').get() === undefined) return;
  db.exec(
    `INSERT INTO rollup_10min (${ROLLUP_COLUMNS})
     SELECT device_id, (bucket / ${TEN_MINUTES_MS}) * ${TEN_MINUTES_MS} AS b, ${ROLLUP_AGGREGATES}
     FROM rollup_minute GROUP BY device_id, b`,
  );
}
