import type pg from 'pg';
import type { DeliveryFigures } from '../../api-types.js';
import { isRestamp, type ReadingToWrite, type WriteOutcome } from '../reading-writer.js';
import { minuteOf } from '../rollup-schema.js';
import { differingFields, type TelemetryRow, telemetryFromRow, telemetryValues } from '../rows.js';
import { TELEMETRY_COLUMNS } from '../schema.js';

/** The PostgreSQL type of each of TELEMETRY_COLUMNS, in order, for the arrays of the batched insert. */
const COLUMN_TYPES = [
  'text',
  'text',
  'bigint',
  'bigint',
  'bigint',
  'text',
  'smallint',
  'smallint',
  'float8',
  'float8',
  'float8',
  'float8',
  'text',
  'text',
  'smallint',
  'bigint',
  'text',
] as const;

/**
 * A group's readings in one statement: one array per column, unnested into rows. The statement has 17
 * parameters whatever the group's size (a multi-row VALUES of a 4000-message group would need 68 000,
 * over PostgreSQL's 65 535), and the server plans it once.
 */
const INSERT_SQL = `
INSERT INTO telemetry (${TELEMETRY_COLUMNS})
SELECT * FROM unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})
ON CONFLICT (device_id, epoch, seq) DO NOTHING
RETURNING device_id, epoch, seq`;

/**
 * The minute buckets of new or moved readings, to be rolled up again. DO UPDATE (not DO NOTHING) so that the row
 * is locked until this transaction ends: the rollup job, which deletes the rows it takes, waits for the
 * readings to be committed, and reads them (see PgRollups).
 */
const PENDING_SQL = `
INSERT INTO rollup_pending (device_id, bucket) SELECT * FROM unnest($1::text[], $2::bigint[])
ON CONFLICT (device_id, bucket) DO UPDATE SET bucket = excluded.bucket`;

const COUNT_RECEIVED_SQL = `
INSERT INTO delivery (device_id, epoch, min_seq, max_seq, received)
SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
ON CONFLICT (device_id, epoch) DO UPDATE SET
  min_seq = LEAST(delivery.min_seq, excluded.min_seq), max_seq = GREATEST(delivery.max_seq, excluded.max_seq),
  received = delivery.received + excluded.received`;

const COUNT_CONFLICTS_SQL =
  'UPDATE delivery SET conflicts = conflicts + $1 WHERE device_id = $2 AND epoch = $3';
const FIND_SQL = `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = $1 AND epoch = $2 AND seq = $3`;
const RESTAMP_SQL = `UPDATE telemetry SET timestamp = $4, clock_synced = 1, trusted_at = $5
  WHERE device_id = $1 AND epoch = $2 AND seq = $3`;

/**
 * How the writer reaches the readings of a layout: the plain table (identity its primary key, the dashboard's
 * rollup marks) or the TimescaleDB one (timescale-writes.ts: identity in a table of its own beside the
 * hypertable, no marks: continuous aggregates track their changes themselves).
 */
export interface WriterStatements {
  /** Inserts the new identities of the 17 column arrays, RETURNING device_id, epoch, seq of each inserted. */
  insert: string;
  /** The stored reading of identity $1, $2, $3 (device, epoch, seq). */
  find: string;
  /** Files the stored reading again: params device, epoch, seq, its trusted_at, the new timestamp and trusted_at. */
  restamp(client: pg.ClientBase, params: [string, string, number, number, string, number]): Promise<void>;
  /** Whether the minute buckets of new and moved readings are marked for the dashboard's rollup job. */
  markRollups: boolean;
}

/** The plain layout (migration 1): telemetry's primary key is the identity. */
export const PLAIN_STATEMENTS: WriterStatements = {
  insert: INSERT_SQL,
  find: FIND_SQL,
  restamp: async (client, [deviceId, epoch, seq, , timestamp, trustedAt]) => {
    await client.query(RESTAMP_SQL, [deviceId, epoch, seq, timestamp, trustedAt]);
  },
  markRollups: true,
};

/** The arrays of the batched insert's 17 parameters, in TELEMETRY_COLUMNS order. */
export const unnestColumns = (): string =>
  `unnest(${COLUMN_TYPES.map((type, i) => `$${i + 1}::${type}[]`).join(', ')})`;

interface Tally {
  deviceId: string;
  epoch: string;
  minSeq: number;
  maxSeq: number;
  received: number;
  conflicts: number;
}

const keyOf = (deviceId: string, epoch: string, seq: number | string) =>
  `${deviceId}\u0000${epoch}\u0000${seq}`;

/**
 * SQLite's ReadingWriter rules on PostgreSQL, in the caller's transaction: readings filed by identity
 * (device_id, epoch, seq), a redelivery a duplicate, a re-stamped copy correcting the stored time, another
 * reading under the same identity a conflict (counted, the first kept), the delivery counts of each
 * (device, epoch) written once per group. The new readings go in one batched statement; the rare others are
 * looked at one by one, in arrival order.
 */
export async function writeReadingsPg(
  client: pg.ClientBase,
  items: readonly ReadingToWrite[],
  statements: WriterStatements = PLAIN_STATEMENTS,
): Promise<WriteOutcome[]> {
  // The first copy of each identity is offered to the insert, sorted by identity (two replicas inserting
  // the same readings lock them in the same order); later copies are redeliveries within the group.
  const first = new Map<string, ReadingToWrite>();
  for (const item of items) {
    const { reading } = item;
    const key = keyOf(reading.device_id, reading.epoch ?? '', reading.seq);
    if (!first.has(key)) first.set(key, item);
  }
  const offered = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const columns: Array<Array<string | number | null>> = COLUMN_TYPES.map(() => []);
  for (const [, { reading, trustedAt, receivedAt }] of offered) {
    const values = telemetryValues(reading, trustedAt, receivedAt);
    for (let i = 0; i < values.length; i++) (columns[i] as unknown[]).push(values[i]);
  }
  const inserted = new Set<string>();
  if (offered.length > 0) {
    const { rows } = await client.query<{ device_id: string; epoch: string; seq: number }>(
      statements.insert,
      columns,
    );
    for (const row of rows) inserted.add(keyOf(row.device_id, row.epoch, row.seq));
  }
  const pending = new Set<string>();
  const outcomes: WriteOutcome[] = [];
  const tallies = new Map<string, Tally>();
  for (const item of items) {
    const { reading, trustedAt } = item;
    const epoch = reading.epoch ?? '';
    const key = keyOf(reading.device_id, epoch, reading.seq);
    let outcome: WriteOutcome;
    if (inserted.has(key) && first.get(key) === item) {
      outcome = STORED;
      pending.add(`${reading.device_id}\u0000${minuteOf(trustedAt)}`);
    } else {
      outcome = await compareWithStored(client, item, pending, statements);
    }
    outcomes.push(outcome);
    if (outcome.kind !== 'stored' && outcome.kind !== 'conflict') continue;
    const tallyKey = `${reading.device_id}\u0000${epoch}`;
    let tally = tallies.get(tallyKey);
    if (!tally) {
      tally = {
        deviceId: reading.device_id,
        epoch,
        minSeq: Infinity,
        maxSeq: -Infinity,
        received: 0,
        conflicts: 0,
      };
      tallies.set(tallyKey, tally);
    }
    if (outcome.kind === 'conflict') {
      tally.conflicts += 1;
      continue;
    }
    tally.received += 1;
    tally.minSeq = Math.min(tally.minSeq, reading.seq);
    tally.maxSeq = Math.max(tally.maxSeq, reading.seq);
  }
  if (statements.markRollups) await markPending(client, pending);
  const counted = [...tallies.values()].filter((t) => t.received > 0).sort(byDeviceEpoch);
  if (counted.length > 0) {
    await client.query(COUNT_RECEIVED_SQL, [
      counted.map((t) => t.deviceId),
      counted.map((t) => t.epoch),
      counted.map((t) => t.minSeq),
      counted.map((t) => t.maxSeq),
      counted.map((t) => t.received),
    ]);
  }
  for (const tally of [...tallies.values()].sort(byDeviceEpoch)) {
    if (tally.conflicts > 0)
      await client.query(COUNT_CONFLICTS_SQL, [tally.conflicts, tally.deviceId, tally.epoch]);
  }
  return outcomes;
}

/** A copy of an identity already stored: a duplicate, a re-stamp (its time corrected) or a conflict. */
async function compareWithStored(
  client: pg.ClientBase,
  { reading, trustedAt }: ReadingToWrite,
  pending: Set<string>,
  statements: WriterStatements,
): Promise<WriteOutcome> {
  const epoch = reading.epoch ?? '';
  const { rows } = await client.query<TelemetryRow>(statements.find, [reading.device_id, epoch, reading.seq]);
  const row = rows[0];
  if (!row)
    throw new Error(
      `The reading ${reading.device_id}/${epoch}/${reading.seq} was neither inserted nor found.`,
    );
  const stored = telemetryFromRow(row);
  const fields = differingFields(stored, reading);
  if (fields.length === 0) return { kind: 'duplicate' };
  if (isRestamp(stored, reading, fields)) {
    await statements.restamp(client, [
      reading.device_id,
      epoch,
      reading.seq,
      row.trusted_at,
      reading.timestamp,
      trustedAt,
    ]);
    pending.add(`${reading.device_id}\u0000${minuteOf(row.trusted_at)}`);
    pending.add(`${reading.device_id}\u0000${minuteOf(trustedAt)}`);
    return { kind: 'restamped' };
  }
  return { kind: 'conflict', stored, fields };
}

async function markPending(client: pg.ClientBase, pending: Set<string>): Promise<void> {
  if (pending.size === 0) return;
  const sorted = [...pending].sort();
  const devices: string[] = [];
  const buckets: number[] = [];
  for (const entry of sorted) {
    const at = entry.lastIndexOf('\u0000');
    devices.push(entry.slice(0, at));
    buckets.push(Number(entry.slice(at + 1)));
  }
  await client.query(PENDING_SQL, [devices, buckets]);
}

const byDeviceEpoch = (a: Tally, b: Tally) =>
  a.deviceId < b.deviceId
    ? -1
    : a.deviceId > b.deviceId
      ? 1
      : a.epoch < b.epoch
        ? -1
        : a.epoch > b.epoch
          ? 1
          : 0;

const STORED: WriteOutcome = { kind: 'stored' };

const LOST_OF_EPOCH = "CASE WHEN epoch = '' THEN 0 ELSE GREATEST(0, max_seq - min_seq + 1 - received) END";
export const FIGURES_SQL = `
SELECT device_id, SUM(received) AS received, SUM(conflicts) AS conflicts, SUM(${LOST_OF_EPOCH}) AS lost
FROM delivery`;
export const TOTALS_SQL = `
SELECT COALESCE(SUM(received), 0) AS received, COALESCE(SUM(conflicts), 0) AS conflicts,
       COALESCE(SUM(${LOST_OF_EPOCH}), 0) AS lost
FROM delivery`;

export const toFigures = (row: DeliveryFigures): DeliveryFigures => ({
  received: row.received,
  lost: row.lost,
  conflicts: row.conflicts,
});
