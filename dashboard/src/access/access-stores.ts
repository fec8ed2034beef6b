import type { Clock } from '@fleet/shared';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { type FailedLogins, MemoryFailedLogins } from './login-throttle.js';
import { PgFailedLogins } from './pg-failed-logins.js';
import { PgSessionStore, pgKeptSecret } from './pg-session-store.js';
import { PgTokenStore } from './pg-token-store.js';
import { PgUserStore } from './pg-user-store.js';
import { keptSecret } from './secrets.js';
import { type SessionStore, SqliteSessionStore } from './session-store.js';
import { TokenStore, type Tokens } from './token-store.js';
import { UserStore, type Users } from './user-store.js';

/**
 * Where the access data live: users, API tokens, login sessions and the kept secrets (the key that signs
 * session cookies). The SQLite file by default; PostgreSQL with DATABASE_URL, so that replicas on several
 * machines share logins and tokens (a cookie made on one verifies and finds its session on another).
 */
export interface AccessStores {
  engine: 'sqlite' | 'postgresql';
  users: Users;
  tokens: Tokens;
  /** The session store, sessions lasting `lifetimeMs` from their login. */
  sessions(lifetimeMs: number): SessionStore;
  /** A secret made once and kept (every replica on the database reads the same one). */
  keptSecret(name: string): Promise<string>;
  /** The login throttle's failed logins: in memory (this process) on SQLite, shared in PostgreSQL. */
  failedLogins: FailedLogins;
}

export function sqliteAccessStores(db: Database.Database, clock: Clock): AccessStores {
  return {
    engine: 'sqlite',
    users: new UserStore(db, clock),
    tokens: new TokenStore(db, clock),
    sessions: (lifetimeMs) => new SqliteSessionStore(db, clock, lifetimeMs),
    keptSecret: async (name) => keptSecret(db, name),
    failedLogins: new MemoryFailedLogins(),
  };
}

/** On the readings path's pool (opened and migrated, layout version 4 or newer, by PgReadingStore). */
export function pgAccessStores(pool: pg.Pool, clock: Clock): AccessStores {
  return {
    engine: 'postgresql',
    users: new PgUserStore(pool, clock),
    tokens: new PgTokenStore(pool, clock),
    sessions: (lifetimeMs) => new PgSessionStore(pool, clock, lifetimeMs),
    keptSecret: (name) => pgKeptSecret(pool, name),
    failedLogins: new PgFailedLogins(pool),
  };
}
