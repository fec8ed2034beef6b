import type Database from 'better-sqlite3';
import type { DeliveryFigures, StoredReading } from '../api-types.js';
import { MARK_DIRTY_SQL, minuteOf } from './rollup-schema.js';
import {
  differingFields,
  type TelemetryRow,
  telemetryFromRow,
  telemetryParams,
  telemetryValues,
} from './rows.js';
import { TELEMETRY_COLUMNS } from './schema.js';

/** What became of one reading offered to the store. */
export type WriteOutcome =
  | { kind: 'stored' }
  /** The same reading again (a QoS 1 redelivery, a device's outbox sent twice): nothing changed. */
  | { kind: 'duplicate' }
  /**
   * The device's own correction of a reading it sent before its clock was set: the same reading, re-stamped
   * once the clock was synchronised (its first copy's PUBACK was lost). Its time replaces the first copy's.
   */
  | { kind: 'restamped' }
  /** Another reading under the same (device, epoch, seq): counted; the first one is kept. */
  | { kind: 'conflict'; stored: StoredReading; fields: string[] };

/** A reading to file, with its two times in epoch ms (so that they are not parsed back from its strings). */
export interface ReadingToWrite {
  reading: StoredReading;
  trustedAt: number;
  receivedAt: number;
}

/** The delivery counts of one (device, epoch) gathered over a group, written once at its end. */
interface Tally {
  deviceId: string;
  epoch: string;
  minSeq: number;
  maxSeq: number;
  received: number;
  conflicts: number;
}

/**
 * Files readings by their identity (device_id, epoch, seq) and keeps the delivery figures of each
 * (device, epoch) in step, in the caller's transaction: a reading and its count are committed together.
 * A group's counts are gathered per (device, epoch) and written once per group, not once per reading.
 */
export class ReadingWriter {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      insert: db.prepare(INSERT_TELEMETRY_VALUES_SQL),
      restamp: db.prepare(
        `UPDATE telemetry SET timestamp = @timestamp, clock_synced = 1, trusted_at = @trusted_at
         WHERE device_id = @device_id AND epoch = @epoch AND seq = @seq`,
      ),
      markDirty: db.prepare(MARK_DIRTY_SQL),
      find: db.prepare(
        `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? AND epoch = ? AND seq = ?`,
      ),
      countReceived: db.prepare(COUNT_RECEIVED_MANY_SQL),
      countConflict: db.prepare(COUNT_CONFLICTS_SQL),
      figuresAll: db.prepare(`${FIGURES_SQL} GROUP BY device_id`),
      figuresOne: db.prepare(`${FIGURES_SQL} WHERE device_id = ? GROUP BY device_id`),
      figuresMany: db.prepare(
        `${FIGURES_SQL} WHERE device_id IN (SELECT value FROM json_each(?)) GROUP BY device_id`,
      ),
    };
  }

  /** One reading, its times parsed from its strings. */
  write(reading: StoredReading): WriteOutcome {
    const trustedAt = Date.parse(reading.trusted_at);
    const receivedAt = Date.parse(reading.received_at);
    return this.writeAll([{ reading, trustedAt, receivedAt }])[0] as WriteOutcome;
  }

  /** Readings in order, then their delivery counts; the outcome of each, in the same order. */
  writeAll(items: readonly ReadingToWrite[]): WriteOutcome[] {
    const tallies = new Map<string, Tally>();
    const outcomes: WriteOutcome[] = [];
    for (const { reading, trustedAt, receivedAt } of items) {
      const outcome = this.writeOne(reading, trustedAt, receivedAt);
      outcomes.push(outcome);
      if (outcome.kind !== 'stored' && outcome.kind !== 'conflict') continue;
      const epoch = reading.epoch ?? '';
      const key = `${reading.device_id}\u0000${epoch}`;
      let tally = tallies.get(key);
      if (!tally) {
        tally = {
          deviceId: reading.device_id,
          epoch,
          minSeq: Number.POSITIVE_INFINITY,
          maxSeq: Number.NEGATIVE_INFINITY,
          received: 0,
          conflicts: 0,
        };
        tallies.set(key, tally);
      }
      if (outcome.kind === 'conflict') {
        tally.conflicts += 1;
        continue;
      }
      tally.received += 1;
      if (reading.seq < tally.minSeq) tally.minSeq = reading.seq;
      if (reading.seq > tally.maxSeq) tally.maxSeq = reading.seq;
    }
    const { countReceived, countConflict } = this.statements;
    for (const tally of tallies.values()) {
      if (tally.received > 0) {
        countReceived.run(tally.deviceId, tally.epoch, tally.minSeq, tally.maxSeq, tally.received);
      }
      if (tally.conflicts > 0) countConflict.run(tally.conflicts, tally.deviceId, tally.epoch);
    }
    return outcomes;
  }

  private writeOne(reading: StoredReading, trustedAt: number, receivedAt: number): WriteOutcome {
    const { insert, find, restamp } = this.statements;
    if (insert.run(telemetryValues(reading, trustedAt, receivedAt)).changes > 0) return STORED;
    // Rare from here on: the same identity again.
    const params = telemetryParams(reading, trustedAt, receivedAt);
    const row = find.get(params.device_id, params.epoch, params.seq) as TelemetryRow;
    const stored = telemetryFromRow(row);
    const fields = differingFields(stored, reading);
    if (fields.length === 0) return { kind: 'duplicate' };
    if (isRestamp(stored, reading, fields)) {
      const { device_id, epoch, seq, timestamp, trusted_at } = params;
      restamp.run({ device_id, epoch, seq, timestamp, trusted_at });
      // The rollups' hook: the reading left one minute bucket for another (see Rollups).
      this.statements.markDirty.run(device_id, minuteOf(row.trusted_at));
      this.statements.markDirty.run(device_id, minuteOf(trusted_at));
      return { kind: 'restamped' };
    }
    return { kind: 'conflict', stored, fields };
  }

  /** One device's figures over every epoch it has sent (zeros for a device with no reading). */
  figures(deviceId: string): DeliveryFigures {
    const row = this.statements.figuresOne.get(deviceId) as FiguresRow | undefined;
    return row ? toFigures(row) : { received: 0, lost: 0, conflicts: 0 };
  }

  /** These devices' figures in one statement (a group's devices: thousands of them in a large fleet). */
  figuresOf(deviceIds: readonly string[]): Map<string, DeliveryFigures> {
    const figures = new Map<string, DeliveryFigures>();
    if (deviceIds.length === 0) return figures;
    const rows = this.statements.figuresMany.all(JSON.stringify(deviceIds)) as FiguresRow[];
    for (const row of rows) figures.set(row.device_id, toFigures(row));
    for (const id of deviceIds) if (!figures.has(id)) figures.set(id, { received: 0, lost: 0, conflicts: 0 });
    return figures;
  }

  /** Every device's figures. */
  allFigures(): Map<string, DeliveryFigures> {
    const rows = this.statements.figuresAll.all() as FiguresRow[];
    return new Map(rows.map((row) => [row.device_id, toFigures(row)]));
  }
}

/** Only the time differs, and the new copy's clock was synchronised where the first copy's was not. */
export function isRestamp(
  stored: StoredReading,
  received: StoredReading,
  fields: readonly string[],
): boolean {
  return (
    stored.clock_synced === false &&
    received.clock_synced === true &&
    fields.every((field) => field === 'timestamp' || field === 'clock_synced')
  );
}

interface FiguresRow {
  device_id: string;
  received: number;
  lost: number;
  conflicts: number;
}

const STORED: WriteOutcome = { kind: 'stored' };

/** The insert of a reading, positional parameters in TELEMETRY_COLUMNS order (see telemetryValues). */
const INSERT_TELEMETRY_VALUES_SQL = `
INSERT INTO telemetry (${TELEMETRY_COLUMNS})
VALUES (${TELEMETRY_COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})
ON CONFLICT (device_id, epoch, seq) DO NOTHING`;

/** `received` readings of one (device, epoch), seqs from min_seq to max_seq, counted at once. */
const COUNT_RECEIVED_MANY_SQL = `
INSERT INTO delivery (device_id, epoch, min_seq, max_seq, received) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (device_id, epoch) DO UPDATE SET
  min_seq = MIN(min_seq, excluded.min_seq), max_seq = MAX(max_seq, excluded.max_seq),
  received = received + excluded.received`;

const COUNT_CONFLICTS_SQL = 'UPDATE delivery SET conflicts = conflicts + ? WHERE device_id = ? AND epoch = ?';

// Lost: the seqs missing between the lowest and the highest received, epoch by epoch; contract 1 readings
// (epoch '') had gaps by design and count in `received` only.
export const LOST_OF_EPOCH_SQL =
  "CASE WHEN epoch = '' THEN 0 ELSE MAX(0, max_seq - min_seq + 1 - received) END";
const FIGURES_SQL = `
SELECT device_id, SUM(received) AS received, SUM(conflicts) AS conflicts, SUM(${LOST_OF_EPOCH_SQL}) AS lost
FROM delivery`;

const toFigures = (row: FiguresRow): DeliveryFigures => ({
  received: row.received,
  lost: row.lost,
  conflicts: row.conflicts,
});
