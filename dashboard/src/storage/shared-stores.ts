import type Database from 'better-sqlite3';
import type pg from 'pg';
import { PgTrailStore } from '../commands/pg-trail-store.js';
import { SqliteTrailStore } from '../commands/sqlite-trail-store.js';
import type { TrailStore } from '../commands/trail-store.js';
import type { ForgottenList } from '../fleet/tombstones.js';
import { DeviceRemoval } from './device-removal.js';
import { PgForgottenDevices } from './postgres/pg-forgotten-devices.js';

/**
 * Where the command trail and the list of forgotten devices live: the SQLite file by default; PostgreSQL with
 * DATABASE_URL, so that every replica lists the same commands with their outcome and leaves out the same
 * devices. (The failed logins the login throttle counts are in AccessStores.)
 */
export interface SharedStores {
  engine: 'sqlite' | 'postgresql';
  trail: TrailStore;
  forgotten: ForgottenList;
}

export function sqliteSharedStores(db: Database.Database): SharedStores {
  return { engine: 'sqlite', trail: new SqliteTrailStore(db), forgotten: new DeviceRemoval(() => db) };
}

/** On the readings path's pool (opened and migrated, layout version 4 or newer, by PgReadingStore). */
export function pgSharedStores(pool: pg.Pool): SharedStores {
  return { engine: 'postgresql', trail: new PgTrailStore(pool), forgotten: new PgForgottenDevices(pool) };
}
