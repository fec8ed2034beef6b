import type { Logger, Telemetry } from '@fleet/shared';
import type Database from 'better-sqlite3';
import { type TelemetryRow, telemetryFromRow } from './rows.js';
import { SCHEMA_SQL, SCHEMA_VERSION_DB, TELEMETRY_COLUMNS } from './schema.js';

const columnsOf = (db: Database.Database, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map(
    (column) => column.name,
  );

/**
 * Makes the database's layout the one of this release (PRAGMA user_version = SCHEMA_VERSION_DB): creates a
 * new database, or migrates one of the previous release in place (see migrateFromV1). A database written by
 * a newer release is refused with a sentence, untouched.
 */
export function prepareSchema(db: Database.Database, now: number, logger: Logger): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION_DB) {
    throw new Error(
      `its layout is version ${version}, written by a newer release of the dashboard; this release reads version ${SCHEMA_VERSION_DB} (restore the backup made before the upgrade, or run the newer release)`,
    );
  }
  const telemetry = columnsOf(db, 'telemetry');
  if (version < SCHEMA_VERSION_DB && telemetry.length > 0 && !telemetry.includes('epoch')) {
    migrateFromV1(db, now, logger);
    return;
  }
  db.transaction(() => {
    db.exec(SCHEMA_SQL);
    db.pragma(`user_version = ${SCHEMA_VERSION_DB}`);
  })();
}

/**
 * The previous release kept telemetry under (device_id, seq) with `ts`, the device's timestamp. Each of its
 * readings becomes a contract 1 reading (epoch '') whose received_at and trusted_at are its timestamp, or
 * the time of the migration when that timestamp is in the future (it would otherwise stay `latest`); the
 * delivery figures start from the rows kept (contract 1 readings count in `received` only). One
 * transaction: a failure (a full disk) leaves the old layout whole, and the next start tries again.
 */
function migrateFromV1(db: Database.Database, now: number, logger: Logger): void {
  const started = Date.now();
  const rows = db.transaction(() => {
    db.exec(`
      ALTER TABLE telemetry RENAME TO telemetry_v1;
      DROP INDEX IF EXISTS telemetry_device_ts;
      DROP INDEX IF EXISTS telemetry_ts;
    `);
    if (!columnsOf(db, 'devices').includes('availability') && columnsOf(db, 'devices').length > 0) {
      db.exec('ALTER TABLE devices ADD COLUMN availability TEXT');
    }
    db.exec(SCHEMA_SQL);
    const copied = db
      .prepare(
        `INSERT INTO telemetry (${TELEMETRY_COLUMNS})
         SELECT device_id, '', seq, MIN(ts, @now), MIN(ts, @now), timestamp, NULL, NULL, temperature, humidite,
                pression, batterie, mode, firmware, alerte, uptime, source
         FROM telemetry_v1`,
      )
      .run({ now }).changes;
    db.exec(`
      INSERT INTO delivery (device_id, epoch, min_seq, max_seq, received, conflicts)
      SELECT device_id, '', MIN(seq), MAX(seq), COUNT(*), 0 FROM telemetry GROUP BY device_id;
      DROP TABLE telemetry_v1;
    `);
    rewriteLatest(db, now);
    db.pragma(`user_version = ${SCHEMA_VERSION_DB}`);
    return copied;
  })();
  logger.info(
    { readings: rows, ms: Date.now() - started, layout: SCHEMA_VERSION_DB },
    `Migrated the database to layout ${SCHEMA_VERSION_DB}: every reading kept, identified by (device, epoch, seq) with epoch "" for the previous release's readings`,
  );
}

/** Each device's `latest` becomes its stored reading with the latest trusted_at, in the new shape. */
function rewriteLatest(db: Database.Database, now: number): void {
  const devices = db.prepare('SELECT device_id, latest FROM devices').all() as Array<{
    device_id: string;
    latest: string | null;
  }>;
  const newest = db.prepare(
    `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE device_id = ?
     ORDER BY trusted_at DESC, received_at DESC, seq DESC LIMIT 1`,
  );
  const update = db.prepare('UPDATE devices SET latest = ? WHERE device_id = ?');
  for (const device of devices) {
    const row = newest.get(device.device_id) as TelemetryRow | undefined;
    if (row) {
      update.run(JSON.stringify(telemetryFromRow(row)), device.device_id);
    } else if (device.latest !== null) {
      // Its readings were purged already: the old latest, filed like the migrated rows.
      const old = JSON.parse(device.latest) as Telemetry;
      const at = new Date(Math.min(Date.parse(old.timestamp), now)).toISOString();
      update.run(JSON.stringify({ ...old, received_at: at, trusted_at: at }), device.device_id);
    }
  }
}
