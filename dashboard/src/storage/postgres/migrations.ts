import type { Logger } from '@fleet/shared';
import type pg from 'pg';
import { ACCESS_SCHEMA_V2, ACCESS_SCHEMA_V3 } from './access-schema.js';
import { ALERTS_SCHEMA_V5 } from './alerts-schema.js';
import { inTransaction } from './pool.js';
import { READINGS_SCHEMA_V1 } from './schema.js';
import { SHARED_STATE_SCHEMA_V4 } from './shared-state-schema.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The PostgreSQL layout's history, oldest first; a migration once released is never changed, only added to. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'readings, delivery figures, device registry, rollups', sql: READINGS_SCHEMA_V1 },
  { version: 2, name: 'login sessions, kept secrets', sql: ACCESS_SCHEMA_V2 },
  { version: 3, name: 'users, API tokens', sql: ACCESS_SCHEMA_V3 },
  { version: 4, name: 'command trail, forgotten devices, failed logins', sql: SHARED_STATE_SCHEMA_V4 },
  { version: 5, name: 'alert rules, channels, incidents, notification queue', sql: ALERTS_SCHEMA_V5 },
];

/** The key of the advisory lock under which migrations run ("fleet" in ASCII): one replica at a time. */
export const MIGRATION_LOCK = 0x666c656574;

export interface MigrationResult {
  /** Versions applied by this call (empty: the database was up to date). */
  applied: number[];
  /** The layout's version now. */
  version: number;
}

/**
 * Brings the database to the newest layout, in one transaction under a transaction-level advisory lock:
 * replicas starting together wait for each other, and the ones after the first find every version in
 * schema_migrations and apply nothing. A database written by a newer release is refused, untouched.
 */
export async function migrate(pool: pg.Pool, logger: Logger): Promise<MigrationResult> {
  const newest = MIGRATIONS.at(-1)?.version ?? 0;
  const result = await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version    integer     PRIMARY KEY,
         name       text        NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((row) => row.version));
    const highest = Math.max(0, ...done);
    if (highest > newest) {
      throw new Error(
        `the PostgreSQL database's layout is version ${highest}, written by a newer release of the dashboard; this release knows versions up to ${newest}`,
      );
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    return { applied, version: newest };
  });
  if (result.applied.length > 0) {
    logger.info({ applied: result.applied, version: result.version }, 'PostgreSQL layout migrated');
  } else {
    logger.info({ version: result.version }, 'PostgreSQL layout up to date');
  }
  return result;
}

/** Whether TimescaleDB can be created in this database (pg_available_extensions). */
export async function timescaleAvailable(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'");
  return rows.length > 0;
}
