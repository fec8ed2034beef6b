import type Database from 'better-sqlite3';
import type { StoredReading } from '../api-types.js';
import { type TelemetryRow, telemetryFromRow } from './rows.js';
import { TELEMETRY_COLUMNS } from './schema.js';

/** Each device's newest stored reading (by trusted_at), read at start to check the registry against. */
export class NewestReadings {
  private readonly statements;

  constructor(db: Database.Database) {
    this.statements = {
      // Every device with a stored reading has delivery figures, written in the reading's transaction.
      ids: db.prepare('SELECT DISTINCT device_id FROM delivery').pluck(),
      newest: db.prepare(
        // The index (device_id, trusted_at) gives it in one seek; of readings filed at the same time, the
        // last one stored (as the ingest's latest follows the last one received).
        `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ? ORDER BY trusted_at DESC LIMIT 1`,
      ),
    };
  }

  /** The devices that have had a reading stored (retention may have removed them since). */
  deviceIds(): string[] {
    return this.statements.ids.all() as string[];
  }

  newest(deviceId: string): StoredReading | null {
    const row = this.statements.newest.get(deviceId) as TelemetryRow | undefined;
    return row ? telemetryFromRow(row) : null;
  }
}
