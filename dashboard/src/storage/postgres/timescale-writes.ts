import { TELEMETRY_COLUMNS } from '../schema.js';
import { unnestColumns, type WriterStatements } from './pg-writer.js';

/**
 * A group's new identities go into reading_identity (its primary key decides: a second copy, from this group
 * or from another replica's transaction, waits for the first's commit and is then not inserted), and only
 * the readings whose identity was new go into the hypertable, in the same statement.
 */
const INSERT_SQL = `
WITH offered AS (SELECT * FROM ${unnestColumns()} AS o (${TELEMETRY_COLUMNS})),
fresh AS (
  INSERT INTO reading_identity (device_id, epoch, seq, trusted_at)
  SELECT device_id, epoch, seq, trusted_at FROM offered
  ON CONFLICT (device_id, epoch, seq) DO NOTHING
  RETURNING device_id, epoch, seq)
INSERT INTO telemetry (${TELEMETRY_COLUMNS})
SELECT o.* FROM offered o JOIN fresh f USING (device_id, epoch, seq)
RETURNING device_id, epoch, seq`;

/** The stored reading, found in its chunk through the trusted_at its identity records. */
const FIND_SQL = `
SELECT ${TELEMETRY_COLUMNS} FROM telemetry
WHERE device_id = $1 AND epoch = $2 AND seq = $3
  AND trusted_at = (SELECT trusted_at FROM reading_identity WHERE device_id = $1 AND epoch = $2 AND seq = $3)`;

const MOVED_COLUMNS = TELEMETRY_COLUMNS.split(', ')
  .map((column) =>
    column === 'timestamp'
      ? '$5::text'
      : column === 'trusted_at'
        ? '$6::bigint'
        : column === 'clock_synced'
          ? '1'
          : column,
  )
  .join(', ');

/**
 * A re-stamp moves the reading to its corrected trusted_at: the hypertable's time column is its partition key,
 * so the row is deleted and inserted again (keeping its row_id), and its identity records the new time.
 */
const RESTAMP_SQL = `
WITH moved AS (
  DELETE FROM telemetry WHERE device_id = $1 AND epoch = $2 AND seq = $3 AND trusted_at = $4 RETURNING *)
INSERT INTO telemetry (${TELEMETRY_COLUMNS}, row_id) SELECT ${MOVED_COLUMNS}, row_id FROM moved`;
const RESTAMP_IDENTITY_SQL =
  'UPDATE reading_identity SET trusted_at = $4 WHERE device_id = $1 AND epoch = $2 AND seq = $3';

/** The writer's statements on the TimescaleDB layout (timescale-schema.ts). */
export const TIMESCALE_STATEMENTS: WriterStatements = {
  insert: INSERT_SQL,
  find: FIND_SQL,
  restamp: async (client, [deviceId, epoch, seq, oldTrustedAt, timestamp, trustedAt]) => {
    await client.query(RESTAMP_SQL, [deviceId, epoch, seq, oldTrustedAt, timestamp, trustedAt]);
    await client.query(RESTAMP_IDENTITY_SQL, [deviceId, epoch, seq, trustedAt]);
  },
  markRollups: false,
};
