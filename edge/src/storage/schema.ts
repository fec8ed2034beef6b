import type Database from 'better-sqlite3';

/** The version of the edge database's layout, kept in SQLite's user_version. */
export const EDGE_SCHEMA_VERSION = 1;

/**
 * - `state`: the device's persisted state, one row per field (JSON values), so that a write holds only the
 *   fields it changes.
 * - `outbox`: readings on their way to the broker, delivered in `id` order (oldest first; AUTOINCREMENT, so an
 *   id is never used twice); `epoch` is null for readings imported from the previous release, which had none.
 * - `command_acks`: the acks of recent commands by `command_id`, so a redelivered command gets the same ack.
 */
const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  epoch TEXT,
  seq INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS outbox_identity ON outbox (epoch, seq);
CREATE TABLE IF NOT EXISTS command_acks (
  id INTEGER PRIMARY KEY,
  command_id TEXT NOT NULL UNIQUE,
  ack TEXT NOT NULL,
  received_ms INTEGER
);
`;

/** Creates the tables of a new database, or checks that an existing one is of a layout this release knows. */
export function applySchema(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > EDGE_SCHEMA_VERSION) {
    throw Object.assign(
      new Error(`the database has layout ${version}, newer than this firmware's (${EDGE_SCHEMA_VERSION})`),
      { code: 'EDGE_SCHEMA_NEWER' },
    );
  }
  if (version === EDGE_SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(SCHEMA_V1);
    db.pragma(`user_version = ${EDGE_SCHEMA_VERSION}`);
  })();
}
